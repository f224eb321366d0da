"""The per-statement check cache: same issues as ``check_text``, and an edit re-checks
only the edited statement."""

from __future__ import annotations

from querywright.server.sql.checks import check_text
from querywright.server.sql.statement_cache import CheckCache
from querywright.server.sql.text import TextIndex, split_statements

from .cursor_fixtures import SHOP, shop_catalog


def cached_issues(cache: CheckCache, text: str, generation: int = 1) -> list:  # type: ignore[type-arg]
    index = TextIndex(text)
    out = []
    for statement in split_statements(text, "postgres"):
        out += cache.statement_issues(statement, index, shop_catalog(), generation, "q.sql")
    return out


def test_same_issues_as_check_text_at_any_position() -> None:
    text = (SHOP / "queries" / "mistakes.sql").read_text()
    shifted = "  " + text.replace("\n", "\n\t", 3)  # statements move; their text does not
    for doc in (text, shifted):
        expected = check_text(doc, shop_catalog(), path="q.sql")
        assert cached_issues(CheckCache(), doc) == expected


def test_one_statement_edit_rechecks_one_statement() -> None:
    text = (SHOP / "queries" / "mistakes.sql").read_text()
    cache = CheckCache()
    cached_issues(cache, text)
    assert (cache.hits, cache.misses) == (0, 6)
    edited = text.replace("u.nme", "u.name")
    issues = cached_issues(cache, "-- new first line\n" + edited)
    assert (cache.hits, cache.misses) == (5, 7)
    assert issues == check_text("-- new first line\n" + edited, shop_catalog(), path="q.sql")


def test_new_catalog_generation_rechecks() -> None:
    text = "SELECT nme FROM users;"
    cache = CheckCache()
    cached_issues(cache, text, generation=1)
    cached_issues(cache, text, generation=2)
    assert (cache.hits, cache.misses) == (0, 2)
