"""Candidate repairs of `ask`: values filtered on, columns from their tables, joins along the foreign keys, aggregates out of WHERE."""

from __future__ import annotations

import sqlite3

import sqlglot
from querywright.server.ai.grounding import ValueIndex, ground
from querywright.server.ai.validate import validate_statement
from querywright.server.ai.value_filter import value_filters
from querywright.server.sql.values import collect_values
from querywright.trainer.records import catalog_from_sql

DDL = """
CREATE TABLE category (category_id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE film (film_id INTEGER PRIMARY KEY, title TEXT NOT NULL, rating TEXT, length INTEGER);
CREATE TABLE film_category (film_id INTEGER REFERENCES film (film_id), category_id INTEGER REFERENCES category (category_id),
  PRIMARY KEY (film_id, category_id));
"""
SEED = """
INSERT INTO category (category_id, name) VALUES (1, 'Comedy'), (2, 'Horror');
INSERT INTO film (film_id, title, rating, length) VALUES (1, 'ACADEMY DINOSAUR', 'PG', 86), (2, 'ACE GOLDFINGER', 'PG-13', 48),
  (3, 'ALIEN CENTER', 'PG-13', 46);
INSERT INTO film_category (film_id, category_id) VALUES (1, 1), (2, 2), (3, 2);
"""


def _variants(question: str, sql: str) -> list[str]:
    catalog = catalog_from_sql(DDL, "sqlite")
    index = ValueIndex.build(collect_values(SEED, "seed.sql", "sqlite", catalog))
    matches = ground(question, index)
    out = []
    for variant in value_filters(sqlglot.parse_one(sql, read="sqlite"), matches, catalog):
        verdict = validate_statement(variant.sql(dialect="sqlite"), catalog)
        assert verdict.ok, (variant.sql(), verdict.reason)
        out.append(verdict.text)
    return out


def _rows(sql: str) -> list[tuple]:
    conn = sqlite3.connect(":memory:")
    conn.executescript(DDL + SEED)
    return sorted(conn.execute(sql).fetchall())


def test_a_value_of_a_table_the_query_reads_becomes_its_filter() -> None:
    (variant,) = _variants("List the titles of the films rated PG-13.", "SELECT title FROM film")
    assert "rating = 'PG-13'" in variant
    assert _rows(variant) == [("ACE GOLDFINGER",), ("ALIEN CENTER",)]


def test_a_value_of_another_table_is_joined_along_the_foreign_keys() -> None:
    (variant,) = _variants("List the titles of the Horror films.", "SELECT f.title FROM film AS f ORDER BY f.title")
    assert variant.count("JOIN") == 2 and "name = 'Horror'" in variant
    assert _rows(variant) == [("ACE GOLDFINGER",), ("ALIEN CENTER",)]


def test_a_query_that_uses_the_value_is_left_alone() -> None:
    assert _variants("List the titles of the films rated PG-13.", "SELECT title FROM film WHERE rating = 'PG-13'") == []
    assert _variants("List all film titles.", "SELECT title FROM film") == []


SHIPS = """
CREATE TABLE battle (id INTEGER PRIMARY KEY, name TEXT, date TEXT);
CREATE TABLE ship (id INTEGER PRIMARY KEY, lost_in_battle INTEGER REFERENCES battle (id), name TEXT, tonnage TEXT);
"""


def _homes(ddl: str, sql: str) -> list[str]:
    from querywright.server.ai.column_home import column_homes

    catalog = catalog_from_sql(ddl, "sqlite")
    out = []
    for variant in column_homes(sqlglot.parse_one(sql, read="sqlite"), catalog):
        verdict = validate_statement(variant.sql(dialect="sqlite"), catalog)
        assert verdict.ok, (variant.sql(), verdict.reason)
        out.append(verdict.text)
    return out


def test_a_one_table_query_reads_the_table_that_has_all_its_columns() -> None:
    variants = _homes(SHIPS, "SELECT name, tonnage FROM battle ORDER BY name DESC")
    assert "SELECT name, tonnage FROM ship ORDER BY name DESC" in variants


def test_a_column_of_another_table_is_joined_and_qualified() -> None:
    (variant,) = _homes(DDL, "SELECT f.title FROM film AS f WHERE f.name = 'Horror'")
    assert variant.count("JOIN") == 2 and "c_v.name = 'Horror'" in variant
    assert _rows(variant) == [("ACE GOLDFINGER",), ("ALIEN CENTER",)]
    assert _homes(DDL, "SELECT f.title FROM film AS f WHERE f.rating = 'PG'") == []


def test_a_join_that_relates_nothing_is_joined_along_the_foreign_keys() -> None:
    from querywright.server.ai.rejoin import rejoined

    catalog = catalog_from_sql(DDL, "sqlite")
    bad = "SELECT c.name FROM film AS f JOIN category AS c ON c.category_id = c.category_id GROUP BY c.category_id"
    assert not validate_statement(bad, catalog).ok  # join-relates-nothing
    (variant,) = rejoined(sqlglot.parse_one(bad, read="sqlite"), catalog)
    verdict = validate_statement(variant.sql(dialect="sqlite"), catalog)
    assert verdict.ok and "JOIN film_category" in verdict.text and "JOIN category AS c ON" in verdict.text
    assert _rows(verdict.text) == [("Comedy",), ("Horror",)]
    assert rejoined(sqlglot.parse_one("SELECT f.title FROM film AS f JOIN film_category AS fc ON fc.film_id = f.film_id"), catalog) == []


def test_an_aggregate_in_where_is_computed_in_a_subquery() -> None:
    from querywright.server.ai.rejoin import where_aggregates

    catalog = catalog_from_sql(DDL, "sqlite")
    bad = "SELECT title FROM film WHERE length = MAX(length)"
    assert not validate_statement(bad, catalog).ok  # aggregate-in-where
    (variant,) = where_aggregates(sqlglot.parse_one(bad, read="sqlite"))
    verdict = validate_statement(variant.sql(dialect="sqlite"), catalog)
    assert verdict.ok and _rows(verdict.text) == [("ACADEMY DINOSAUR",)]
    assert where_aggregates(sqlglot.parse_one("SELECT title FROM film WHERE length > (SELECT AVG(length) FROM film)")) == []


def test_columns_beside_an_aggregate_are_grouped_by() -> None:
    from querywright.server.ai.rejoin import grouped_bare_columns

    (variant,) = grouped_bare_columns(sqlglot.parse_one("SELECT rating, COUNT(*) FROM film"))
    assert variant.sql() == "SELECT rating, COUNT(*) FROM film GROUP BY rating"
    assert _rows(variant.sql()) == [("PG", 1), ("PG-13", 2)]
    assert grouped_bare_columns(sqlglot.parse_one("SELECT COUNT(*) FROM film")) == []
    assert grouped_bare_columns(sqlglot.parse_one("SELECT rating, COUNT(*) FROM film GROUP BY rating")) == []


def test_the_most_rows_of_a_table_ranks_by_their_count() -> None:
    from querywright.server.ai.intent import expectations
    from querywright.server.ai.row_counts import count_ranked

    catalog = catalog_from_sql(DDL, "sqlite")
    wanted = expectations("Which category has the most films?", (), [t.name for t in catalog.tables.values()])
    (variant,) = count_ranked(sqlglot.parse_one("SELECT name FROM category ORDER BY category_id DESC LIMIT 1"), wanted, catalog)
    verdict = validate_statement(variant.sql(dialect="sqlite"), catalog)
    assert verdict.ok and "GROUP BY category.category_id ORDER BY COUNT(*) DESC LIMIT 1" in verdict.text
    assert _rows(verdict.text) == [("Horror",)]
    assert count_ranked(sqlglot.parse_one(verdict.text), wanted, catalog) == []


PLACES = """
CREATE TABLE country (country_id INTEGER PRIMARY KEY, country TEXT);
CREATE TABLE city (city_id INTEGER PRIMARY KEY, city TEXT, country_id INTEGER REFERENCES country (country_id));
CREATE TABLE address (address_id INTEGER PRIMARY KEY, city_id INTEGER REFERENCES city (city_id));
CREATE TABLE customer (customer_id INTEGER PRIMARY KEY, first_name TEXT, address_id INTEGER REFERENCES address (address_id));
CREATE TABLE language (language_id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE film (film_id INTEGER PRIMARY KEY, title TEXT, language_id INTEGER REFERENCES language (language_id));
"""


def _counted(question: str, sql: str) -> list[str]:
    from querywright.server.ai.intent import expectations
    from querywright.server.ai.named_key import named_keys
    from querywright.server.ai.row_counts import count_ranked

    catalog = catalog_from_sql(PLACES, "postgres")
    wanted = expectations(question, (), [t.name for t in catalog.tables.values()])
    tree = sqlglot.parse_one(sql, read="postgres")
    out = []
    for variant in count_ranked(tree, wanted, catalog) + named_keys(tree, wanted, catalog):
        verdict = validate_statement(variant.sql(dialect="postgres"), catalog)
        assert verdict.ok, (variant.sql(), verdict.reason)
        out.append(verdict.text)
    return out


def test_a_condition_on_a_count_and_the_counted_rows_and_names_for_keys() -> None:
    (having,) = _counted("Which countries have more than 20 cities?", "SELECT country FROM country ORDER BY country_id DESC LIMIT 20")
    assert "JOIN city" in having and "GROUP BY country.country_id HAVING COUNT(*) > 20" in having and "LIMIT" not in having
    (counted,) = _counted("How many customers are there in each country?", "SELECT country, COUNT(*) FROM country GROUP BY country_id")
    assert "JOIN customer" in counted and "GROUP BY country.country_id" in counted
    (named,) = _counted("In which language is the film ACADEMY DINOSAUR?", "SELECT language_id FROM film WHERE title = 'ACADEMY DINOSAUR'")
    assert named.startswith("SELECT l_v.name FROM film JOIN language AS l_v")
    assert _counted("What is the language id of the film ACADEMY DINOSAUR?", "SELECT language_id FROM film WHERE title = 'ACADEMY DINOSAUR'") == []


def test_each_thing_a_table_holds_is_grouped_by_that_table() -> None:
    from querywright.server.ai.each_group import grouped_by_each
    from querywright.server.ai.intent import expectations

    ddl = """
    CREATE TABLE store (store_id INTEGER PRIMARY KEY, manager_staff_id INTEGER);
    CREATE TABLE staff (staff_id INTEGER PRIMARY KEY, first_name TEXT, store_id INTEGER REFERENCES store (store_id));
    CREATE TABLE payment (payment_id INTEGER PRIMARY KEY, staff_id INTEGER REFERENCES staff (staff_id), amount NUMERIC);
    """
    catalog = catalog_from_sql(ddl, "postgres")
    wanted = expectations("What is the total payment amount taken by each store?", (), [t.name for t in catalog.tables.values()])
    (variant,) = grouped_by_each(sqlglot.parse_one("SELECT SUM(amount) FROM payment"), wanted, catalog)
    verdict = validate_statement(variant.sql(dialect="postgres"), catalog)
    assert verdict.ok and "JOIN store" in verdict.text and verdict.text.endswith("GROUP BY s_v2.store_id")


def test_a_named_value_spelt_another_way_is_spelt_the_datas_way() -> None:
    from querywright.server.ai.value_filter import respelled

    catalog = catalog_from_sql(DDL, "sqlite")
    index = ValueIndex.build(collect_values(SEED, "seed.sql", "sqlite", catalog))
    matches = ground("How many films are in the comedy category?", index)
    variant = respelled(sqlglot.parse_one("SELECT COUNT(*) FROM category WHERE name = 'COMEDY'"), matches, catalog)
    assert variant is not None and variant.sql() == "SELECT COUNT(*) FROM category WHERE name = 'Comedy'"
    assert respelled(sqlglot.parse_one("SELECT COUNT(*) FROM category WHERE name = 'Comedy'"), matches, catalog) is None


def test_a_table_the_question_names_is_joined() -> None:
    from querywright.server.ai.intent import expectations, fit
    from querywright.server.ai.named_tables import named_tables_joined

    ddl = """
    CREATE TABLE people (people_id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE poker_player (poker_player_id INTEGER PRIMARY KEY, people_id INTEGER REFERENCES people (people_id), earnings REAL);
    """
    catalog = catalog_from_sql(ddl, "sqlite")
    wanted = expectations("What are the names of poker players?", (), [t.name for t in catalog.tables.values()])
    assert wanted.named_tables == ("poker_player",)
    tree = sqlglot.parse_one("SELECT name FROM people")
    (variant,) = named_tables_joined(tree, wanted, catalog)
    verdict = validate_statement(variant.sql(dialect="sqlite"), catalog)
    assert verdict.ok and "JOIN poker_player" in verdict.text
    assert fit(variant, wanted).score > fit(tree, wanted).score
    assert named_tables_joined(variant, wanted, catalog) == []


def test_a_join_off_the_keys_of_linked_tables_is_joined_on_its_foreign_key() -> None:
    from querywright.server.ai.rejoin import rejoined

    ddl = """
    CREATE TABLE actor (actor_id INTEGER PRIMARY KEY, first_name TEXT, last_update TIMESTAMP);
    CREATE TABLE film (film_id INTEGER PRIMARY KEY, title TEXT, last_update TIMESTAMP);
    CREATE TABLE film_actor (actor_id INTEGER REFERENCES actor (actor_id), film_id INTEGER REFERENCES film (film_id), last_update TIMESTAMP);
    """
    catalog = catalog_from_sql(ddl, "postgres")
    bad = ("SELECT a.first_name FROM actor AS a JOIN film_actor AS fa ON a.actor_id = fa.actor_id "
           "JOIN film AS f ON fa.last_update = f.last_update WHERE f.title = 'X'")
    assert not validate_statement(bad, catalog).ok  # join-off-key
    (variant,) = rejoined(sqlglot.parse_one(bad, read="postgres"), catalog)
    verdict = validate_statement(variant.sql(dialect="postgres"), catalog)
    assert verdict.ok and "JOIN film AS f ON fa.film_id = f.film_id" in verdict.text


ANTI_DDL = """
CREATE TABLE countries (country_id INTEGER PRIMARY KEY, country_name TEXT);
CREATE TABLE car_makers (id INTEGER PRIMARY KEY, maker TEXT, country INTEGER REFERENCES countries (country_id));
CREATE TABLE teacher (teacher_id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE course_arrange (course_id INTEGER, teacher_id INTEGER REFERENCES teacher (teacher_id), grade INTEGER);
"""


def test_rows_without_related_rows_asked_through_a_join_become_an_anti_join() -> None:
    from querywright.server.ai.anti_join import anti_joined
    from querywright.server.ai.intent import expectations, fit

    catalog = catalog_from_sql(ANTI_DDL, "sqlite")
    wanted = expectations("Which countries have not a single car maker?", (), [t.name for t in catalog.tables.values()])
    joined = sqlglot.parse_one("SELECT countries.country_name FROM countries JOIN car_makers AS cm ON cm.country = countries.country_id "
                               "WHERE NOT cm.country IN (SELECT maker FROM car_makers WHERE NOT maker IS NULL)")
    (variant,) = anti_joined(joined, catalog)
    assert variant.sql() == ("SELECT countries.country_name FROM countries WHERE NOT countries.country_id IN "
                             "(SELECT car_makers.country FROM car_makers WHERE NOT car_makers.country IS NULL)")
    assert fit(variant, wanted).missed < fit(joined, wanted).missed  # the join-then-exclude shape counts against
    # the shown table may be the joined one; the related table's own conditions stay in the subquery
    teachers = sqlglot.parse_one("SELECT t.name FROM course_arrange JOIN teacher AS t ON course_arrange.teacher_id = t.teacher_id "
                                 "WHERE NOT course_arrange.course_id IN (SELECT teacher_id FROM course_arrange WHERE grade = 3)")
    (variant,) = anti_joined(teachers, catalog)
    assert variant.sql() == ("SELECT t.name FROM teacher AS t WHERE NOT t.teacher_id IN (SELECT course_arrange.teacher_id "
                             "FROM course_arrange WHERE grade = 3 AND NOT course_arrange.teacher_id IS NULL)")
    # an exclusion over another table, or no join at all: nothing to repair
    assert anti_joined(sqlglot.parse_one("SELECT name FROM teacher WHERE NOT teacher_id IN (SELECT teacher_id FROM course_arrange)"), catalog) == []


def test_for_each_groups_by_a_column_whose_words_name_the_noun_and_aggregates_what_is_asked() -> None:
    from querywright.server.ai.intent import expectations, fit, group_repairs

    catalog = catalog_from_sql("""
    CREATE TABLE pets (pet_id INTEGER PRIMARY KEY, PetType TEXT, pet_age INTEGER, weight REAL);
    CREATE TABLE cartoon (id INTEGER PRIMARY KEY, title TEXT, directed_by TEXT);
    CREATE TABLE singer (singer_id INTEGER PRIMARY KEY, name TEXT, citizenship TEXT, net_worth REAL);
    """, "sqlite")

    def columns(name: str) -> list[tuple[str, str | None]]:
        table = catalog.find(name)
        return [(c.name, None) for c in table.columns.values()] if table else []

    cases = [
        ("List the maximum weight and type for each type of pet.", "SELECT PetType, weight FROM pets ORDER BY weight DESC",
         "SELECT MAX(weight), PetType FROM pets GROUP BY PetType"),
        ("How many cartoons did each director create?", "SELECT COUNT(*) FROM cartoon ORDER BY title",
         "SELECT COUNT(*), directed_by FROM cartoon GROUP BY directed_by"),
        ("For each citizenship, what is the maximum net worth?", "SELECT citizenship FROM singer ORDER BY net_worth DESC",
         "SELECT citizenship, MAX(net_worth) FROM singer GROUP BY citizenship"),
    ]
    for question, candidate, expected in cases:
        wanted = expectations(question, (), [t.name for t in catalog.tables.values()])
        tree = sqlglot.parse_one(candidate)
        (variant,) = group_repairs(tree, wanted, columns)
        assert variant.sql() == expected
        assert fit(variant, wanted).score > fit(tree, wanted).score
    # a word that only shares a short prefix names nothing ("pet" is not "petal")
    wanted = expectations("How many films are there for each rating?", (), ["film"])
    assert group_repairs(sqlglot.parse_one("SELECT COUNT(*) FROM pets"), wanted, columns) == []
    # "of each treatment" asks for every row of treatments: no column is grouped by for its words
    treatments = catalog_from_sql("CREATE TABLE treatments (treatment_id INTEGER PRIMARY KEY, date_of_treatment TEXT);", "sqlite")
    wanted = expectations("What are the dates of each treatment?", (), ["treatments"])
    assert group_repairs(sqlglot.parse_one("SELECT date_of_treatment FROM treatments"), wanted,
                         lambda name: [(c.name, None) for c in treatments.tables["treatments"].columns.values()]) == []
