"""A column qualified with the wrong source (or an unknown one) that exactly one other
source of the scope has: one fix, qualify it with that source; model candidates are
repaired by it."""

from __future__ import annotations

from querywright.server.ai.validate import validate_statement
from querywright.server.sql.checks import check_sql
from querywright.trainer.records import catalog_from_sql

DDL = ("CREATE TABLE airlines (uid INTEGER PRIMARY KEY, Airline TEXT, Abbreviation TEXT);\n"
       "CREATE TABLE flights (Airline INTEGER, FlightNo INTEGER, SourceAirport TEXT);")


def test_wrong_source_gets_the_qualify_fix_and_candidates_are_repaired() -> None:
    catalog = catalog_from_sql(DDL, "sqlite")
    sql = "SELECT a.SourceAirport FROM flights AS f JOIN airlines AS a ON f.Airline = a.uid GROUP BY a.SourceAirport"
    issues = check_sql(sql, catalog)
    assert {i.code for i in issues} == {"unknown-column"}
    assert all([f.title for f in i.fixes] == ["Qualify as f.SourceAirport"] for i in issues)
    verdict = validate_statement(sql, catalog)
    assert verdict.ok and verdict.text == "SELECT f.SourceAirport FROM flights AS f JOIN airlines AS a ON f.Airline = a.uid GROUP BY f.SourceAirport"


def test_unknown_qualifier_and_the_cases_left_alone() -> None:
    catalog = catalog_from_sql(DDL, "sqlite")
    [issue] = check_sql("SELECT x.Abbreviation FROM flights AS f JOIN airlines AS a ON f.Airline = a.uid", catalog)
    assert issue.code == "unknown-alias" and [f.title for f in issue.fixes] == ["Qualify as a.Abbreviation"]
    # both sources have Airline: no guess; a column nobody has: no fix
    assert check_sql("SELECT a.Airline FROM flights f JOIN airlines a ON f.Airline = a.uid", catalog) == []
    [nobody] = check_sql("SELECT a.Nope FROM flights f JOIN airlines a ON 1 = 1", catalog)
    assert nobody.fixes == ()
    # a mistyped alias keeps its did-you-mean
    [typo] = check_sql("SELECT fl.SourceAirport FROM flights AS fli JOIN airlines AS a ON fli.Airline = a.uid", catalog)
    assert typo.code == "unknown-alias" and "did you mean fli" in typo.message


def test_no_fix_that_would_compare_a_column_with_itself() -> None:
    ddl = "CREATE TABLE actor (actor_id INTEGER PRIMARY KEY, first_name TEXT);\nCREATE TABLE film (film_id INTEGER PRIMARY KEY, title TEXT);"
    catalog = catalog_from_sql(ddl, "sqlite")
    [issue] = check_sql("SELECT a.first_name FROM film AS f JOIN actor AS a ON f.actor_id = a.actor_id", catalog)
    assert issue.code == "unknown-column" and issue.fixes == ()
