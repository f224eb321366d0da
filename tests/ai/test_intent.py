"""What a question's words ask of its SQL, and the repairs that meet it."""

from __future__ import annotations

import sqlglot
from querywright.server.ai.grounding import ValueMatch
from querywright.server.ai.intent import expectations, fit, repairs, singular


def _fit(question: str, sql: str, matches: tuple[ValueMatch, ...] = ()) -> int:
    return fit(sqlglot.parse_one(sql, read="postgres"), expectations(question, matches)).score


def _repairs(question: str, sql: str) -> list[str]:
    return [r.sql("postgres") for r in repairs(sqlglot.parse_one(sql, read="postgres"), expectations(question))]


def test_expectations_from_words() -> None:
    wanted = expectations("For each rating, how many films have it?")
    assert wanted.aggregates == {"count"} and wanted.group
    assert expectations("Which category has the most films?").ranking
    assert expectations("How many different ratings are there?").distinct
    assert expectations("List the languages").empty


def test_fit_prefers_the_asked_aggregate() -> None:
    question = "What is the total amount of all payments?"
    assert _fit(question, "SELECT SUM(amount) FROM payment") > _fit(question, "SELECT AVG(amount) FROM payment")


def test_fit_penalises_invented_literals_not_flags() -> None:
    question = "Which staff members are active?"
    assert _fit(question, "SELECT * FROM staff WHERE active = 1") == _fit(question, "SELECT * FROM staff WHERE active") == 1  # "active" is named
    assert _fit("List the films", "SELECT * FROM film WHERE film_id = 1000") < 0
    assert _fit("Films longer than three hours", "SELECT * FROM film WHERE length > 180") == 0


def test_fit_rewards_the_mentioned_value_in_its_table() -> None:
    match = ValueMatch("category", "name", "Comedy", "Comedy", 1.0, "exact", "category", "name")
    question = "How many films are in the Comedy category?"
    good = "SELECT COUNT(*) FROM film JOIN film_category USING (film_id) JOIN category USING (category_id) WHERE category.name = 'Comedy'"
    assert _fit(question, good, (match,)) > _fit(question, "SELECT COUNT(*) FROM film", (match,))


def test_repairs() -> None:
    assert "SELECT SUM(amount) FROM payment" in _repairs("What is the total amount?", "SELECT AVG(amount) FROM payment")
    assert "SELECT COUNT(DISTINCT rating) FROM film" in _repairs("How many different ratings?", "SELECT MAX(rating) FROM film")
    assert "SELECT COUNT(*) FROM film" in _repairs("Count the films.", "SELECT COUNT(*) FROM film WHERE film_id = 1")
    assert "SELECT COUNT(*) FROM film WHERE release_year = 2006" in _repairs("How many films came out in 2006?", "SELECT title FROM film WHERE release_year = 2006")
    assert _repairs("List the films", "SELECT title FROM film") == []


def test_group_repairs_group_by_the_each_noun() -> None:
    from querywright.server.ai.intent import group_repairs

    def columns(table: str) -> list[tuple[str, str | None]]:
        return {"orders": [("id", None), ("user_id", "users"), ("total", None)], "film": [("film_id", None), ("rating", None)]}.get(table, [])

    def fixed(question: str, sql: str) -> list[str]:
        return [r.sql("postgres") for r in group_repairs(sqlglot.parse_one(sql, read="postgres"), expectations(question), columns)]

    # the columns in the order the question names them: the count first here, the rating first below
    assert fixed("How many orders has each user placed?", "SELECT * FROM orders") == ["SELECT COUNT(*), user_id FROM orders GROUP BY user_id"]
    assert fixed("For each rating, how many films have it?", "SELECT COUNT(*) FROM film") == ["SELECT rating, COUNT(*) FROM film GROUP BY rating"]
    assert fixed("How many orders are there?", "SELECT * FROM orders") == []


def test_a_count_question_wants_the_count_selected_not_only_in_having() -> None:
    """"How many orders has each user placed?" answered with ``HAVING COUNT(*) = 1`` misses
    the question (an invented literal, no count shown); the repair selects the count."""
    wanted = expectations("How many orders has each user placed?")
    having = sqlglot.parse_one("SELECT user_id FROM orders GROUP BY user_id HAVING COUNT(*) = 1")
    right = sqlglot.parse_one("SELECT user_id, COUNT(*) FROM orders GROUP BY user_id")
    assert fit(having, wanted).missed > 0 and fit(right, wanted).missed == 0
    assert right.sql() in [r.sql() for r in repairs(having, wanted)]
    average = expectations("Which categories have an average film length above 120 minutes?")
    above = sqlglot.parse_one("SELECT c.name FROM category c JOIN film_category fc ON fc.category_id = c.category_id "
                              "JOIN film f ON f.film_id = fc.film_id GROUP BY c.name HAVING AVG(f.length) > 120")
    assert fit(above, average).missed == 0


def test_grouped_by_the_wrong_thing_is_regrouped_by_the_each_noun() -> None:
    from querywright.server.ai.intent import group_repairs

    wanted = expectations("How many orders has each user placed?")
    wrong = sqlglot.parse_one("SELECT o.status, COUNT(*) FROM orders AS o JOIN users AS u ON o.user_id = u.id GROUP BY o.status")
    assert fit(wrong, wanted).missed > 0
    columns = {"orders": [("id", None), ("user_id", "users"), ("status", None)]}
    [fixed] = group_repairs(wrong, wanted, lambda name: columns.get(name, []))
    assert fixed.sql() == "SELECT COUNT(*), o.user_id FROM orders AS o JOIN users AS u ON o.user_id = u.id GROUP BY o.user_id"
    assert fit(fixed, wanted).missed == 0
    assert group_repairs(fixed, wanted, lambda name: columns.get(name, [])) == []


def test_column_repairs_use_the_column_the_question_names() -> None:
    from querywright.server.ai.intent import column_repairs, question_columns

    columns = {"film": [("film_id", None), ("title", None), ("replacement_cost", None), ("rating", None), ("last_update", None)],
               "payment": [("payment_id", None), ("amount", None), ("payment_date", None)]}

    def fixed(question: str, sql: str) -> list[str]:
        tree = sqlglot.parse_one(sql, read="postgres")
        return [r.sql("postgres") for r in column_repairs(tree, expectations(question), lambda name: columns[name])]

    assert question_columns("the first and last names of the actors", ["first_name", "last_name", "actor_id", "id"]) == ["first_name", "last_name"]
    assert fixed("What is the average payment amount?", "SELECT AVG(payment_date) FROM payment") == ["SELECT AVG(amount) FROM payment"]
    assert fixed("How many different ratings do the films have?", "SELECT COUNT(*) FROM film") == ["SELECT COUNT(DISTINCT rating) FROM film"]
    assert fixed("What is the highest replacement cost of any film?", "SELECT last_update FROM film ORDER BY replacement_cost DESC LIMIT 1") == [
        "SELECT replacement_cost FROM film ORDER BY replacement_cost DESC LIMIT 1"]
    assert fixed("List the titles of the films", "SELECT title FROM film") == []  # already the named column
    assert fixed("Show every film", "SELECT last_update FROM film") == []  # nothing named: no guess


def test_for_each_then_how_many_wants_the_count_selected() -> None:
    wanted = expectations("For each rating, how many films have it?")
    assert wanted.counted
    having = sqlglot.parse_one("SELECT rating FROM film GROUP BY rating HAVING COUNT(*) >= COUNT(*) LIMIT 1")
    assert fit(having, wanted).missed > 0
    assert fit(sqlglot.parse_one("SELECT rating, COUNT(*) FROM film GROUP BY rating"), wanted).missed == 0


def test_a_having_nobody_asked_for_is_dropped() -> None:
    wanted = expectations("How many orders has each user placed?")
    odd = sqlglot.parse_one("SELECT u.name, COUNT(*) FROM orders AS o JOIN users AS u ON o.user_id = u.id GROUP BY u.name HAVING COUNT(*) = COUNT(*) * u.is_active")
    assert fit(odd, wanted).missed > 0
    assert any(r.find(sqlglot.exp.Having) is None for r in repairs(odd, wanted))
    asked = expectations("Which countries have more than 20 cities?")
    kept = sqlglot.parse_one("SELECT co.country FROM country co JOIN city ci ON co.country_id = ci.country_id GROUP BY co.country HAVING COUNT(*) > 20")
    assert all(r.find(sqlglot.exp.Having) is not None for r in repairs(kept, asked))  # "more than 20": asked for


def test_an_entity_grouped_by_its_name_is_grouped_by_its_key() -> None:
    from querywright.server.ai.intent import entity_grouping

    keys = {"users": ("id", frozenset({"email"})), "category": ("category_id", frozenset()),
            "Singer": ("Singer_ID", frozenset())}

    def regroup(question: str, sql: str) -> str | None:
        tree = entity_grouping(sqlglot.parse_one(sql, read="postgres"), expectations(question),
                               lambda name: keys.get(name, (None, frozenset())))
        return tree.sql("postgres") if tree is not None else None

    question = "How many orders has each user placed?"
    assert regroup(question, "SELECT u.name, COUNT(*) FROM orders AS o JOIN users AS u ON o.user_id = u.id GROUP BY u.name") == \
        "SELECT u.name, COUNT(*) FROM orders AS o JOIN users AS u ON o.user_id = u.id GROUP BY u.id"
    # already by the key, by a unique column, or by a column of another table: left alone
    assert regroup(question, "SELECT u.name, COUNT(*) FROM orders AS o JOIN users AS u ON o.user_id = u.id GROUP BY u.id") is None
    assert regroup(question, "SELECT u.email, COUNT(*) FROM orders AS o JOIN users AS u ON o.user_id = u.id GROUP BY u.email") is None
    assert regroup("How many users are there in each country?", "SELECT country, COUNT(*) FROM users GROUP BY country") is None
    assert regroup("List the users", "SELECT name FROM users GROUP BY name") is None  # no "each"
    # a key spelt with capitals keeps its quotes
    assert regroup("How many songs does each singer have?",
                   'SELECT s."Name", COUNT(*) FROM song AS so JOIN "Singer" AS s ON so."Singer_ID" = s."Singer_ID" GROUP BY s."Name"') \
        .endswith('GROUP BY s."Singer_ID"')


def test_several_aggregates_a_count_ranking_and_a_shown_count() -> None:
    """"The maximum and minimum X" shows both; "the most <rows of a table>" ranks by a count;
    "show the number of ... for each" selects the count."""
    question = "What are the maximum and minimum values of area codes?"
    assert "SELECT MAX(area_code), MIN(area_code) FROM area_code_state" in _repairs(question, "SELECT MAX(area_code) FROM area_code_state")
    assert _fit(question, "SELECT MAX(area_code), MIN(area_code) FROM t") > _fit(question, "SELECT MAX(area_code) FROM t")

    wanted = expectations("Which year had the most matches?", (), ["matches", "players"])
    assert wanted.ranked_count == "desc"
    assert expectations("Which player won the fewest matches?", (), ["matches"]).ranked_count == "asc"
    assert expectations("Which film is the most expensive?", (), ["film"]).ranked_count == ""
    assert wanted.ranked_noun == singular("matches")
    good = "SELECT year FROM matches GROUP BY year ORDER BY COUNT(*) DESC LIMIT 1"
    bad = "SELECT year FROM matches ORDER BY winner_id DESC LIMIT 1"
    assert fit(sqlglot.parse_one(good), wanted).score > fit(sqlglot.parse_one(bad), wanted).score

    assert expectations("Show the number of high schoolers for each grade.").counted
    assert "SELECT grade, COUNT(*) FROM highschooler GROUP BY grade" in _repairs(
        "Show the number of high schoolers for each grade.", "SELECT grade FROM highschooler GROUP BY grade")


def test_an_ordering_goes_the_way_the_question_says() -> None:
    assert expectations("List the titles in alphabetical order.").direction == "asc"
    assert expectations("Names in reverse alphabetical order").direction == "desc"
    assert expectations("Sorted from highest to lowest price").direction == "desc"
    assert expectations("Sort the players by age from the oldest").direction == ""  # oldest: by age or by birth date?
    for dialect in ("postgres", "sqlite"):
        tree = sqlglot.parse_one("SELECT title FROM film ORDER BY title DESC", read=dialect)
        wanted = expectations("List the titles of the Horror films in alphabetical order.")
        assert [r.sql(dialect) for r in repairs(tree, wanted)] == ["SELECT title FROM film ORDER BY title ASC"]
        assert fit(repairs(tree, wanted)[0], wanted).score > fit(tree, wanted).score


def test_a_like_pattern_is_anchored_the_way_the_question_says() -> None:
    question = "How many films have a title starting with the letter A?"
    assert "SELECT COUNT(*) FROM film WHERE title LIKE 'A%'" in _repairs(question, "SELECT COUNT(*) FROM film WHERE title LIKE '%A%%'")
    assert _fit(question, "SELECT COUNT(*) FROM film WHERE title LIKE 'A%'") > _fit(question, "SELECT COUNT(*) FROM film WHERE title LIKE '%A%'")
    assert expectations("Titles ending with the word LOVE").like == "suffix"
    assert expectations("Which titles contain DOG?").like == "infix"


def test_which_thing_is_answered_from_that_things_table() -> None:
    wanted = expectations("Which shop has the most employees?", (), ["shop", "employee", "hiring"])
    assert wanted.entity == "shop"
    shop = "SELECT s.name FROM shop AS s JOIN hiring AS h ON h.shop_id = s.shop_id GROUP BY s.shop_id ORDER BY COUNT(*) DESC LIMIT 1"
    employee = "SELECT e.name FROM employee AS e JOIN hiring AS h ON h.employee_id = e.employee_id GROUP BY e.name ORDER BY COUNT(*) DESC LIMIT 1"
    assert fit(sqlglot.parse_one(shop), wanted).score > fit(sqlglot.parse_one(employee), wanted).score
    assert expectations("Which year had the most matches?", (), ["matches"]).entity == ""


def test_tables_named_by_the_question_not_by_its_verbs_or_columns() -> None:
    from querywright.server.ai.intent import tables_named

    tables = ["orchestra", "performance", "show", "film", "rental", "Pets", "Has_Pet"]
    assert tables_named("Please show the record companies and the number of orchestras.", tables) == ("orchestra",)
    assert tables_named("What is the average rental rate of the films?", tables, ["rental_rate"]) == ("film",)
    assert tables_named("How many pets are there?", tables) == ("Pets", "Has_Pet")  # named; joining Has_Pet beside Pets is not


def test_the_row_with_the_highest_value_answers_a_superlative() -> None:
    question = "What is the name of the singer with the highest net worth?"
    ordered = "SELECT name FROM singer ORDER BY net_worth DESC LIMIT 1"
    assert _fit(question, ordered) >= _fit(question, "SELECT MAX(net_worth) FROM singer")
    assert _fit(question, ordered) > _fit(question, "SELECT name FROM singer ORDER BY net_worth ASC LIMIT 1")
    value = "What is the highest replacement cost of any film?"
    assert _fit(value, "SELECT MAX(replacement_cost) FROM film") > _fit(value, "SELECT title FROM film ORDER BY replacement_cost DESC LIMIT 1")


def test_a_superlative_value_mentions_and_each_over_a_joined_table() -> None:
    from querywright.server.ai.intent import group_repairs

    assert "SELECT MAX(replacement_cost) FROM film" in _repairs(
        "What is the highest replacement cost of any film?", "SELECT last_update FROM film ORDER BY replacement_cost DESC LIMIT 1")
    assert "SELECT title FROM film WHERE description LIKE '%Drama%'" in _repairs(
        "Find the titles of films whose description mentions a Drama.", "SELECT title FROM film WHERE description = 'Drama'")

    def columns(table: str) -> list[tuple[str, str | None]]:
        return {"film_category": [("film_id", "film"), ("category_id", "category")], "film": [("film_id", None), ("rating", None)]}[table]

    sql = "SELECT COUNT(*) FROM film_category JOIN film AS f ON film_category.film_id = f.film_id"
    fixed = [r.sql() for r in group_repairs(sqlglot.parse_one(sql), expectations("For each rating, how many films have it?"), columns)]
    assert fixed == ["SELECT f.rating, COUNT(*) FROM film_category JOIN film AS f ON film_category.film_id = f.film_id GROUP BY f.rating"]
    assert _repairs("Which employee received the biggest bonus?", "SELECT name FROM employee ORDER BY bonus DESC LIMIT 1") == []
    assert _repairs("Find the name of the employee who got the highest bonus.", "SELECT name FROM employee ORDER BY bonus DESC LIMIT 1") == []
