"""The "Generate SQL from comment" code action offered on ``--`` comment lines."""

from __future__ import annotations

from lsprotocol import types
from querywright.server.lsp.convert import Positions
from querywright.server.lsp.features.inline_completion import comment_code_action
from querywright.server.sql.text import TextIndex


def _at(line: int) -> types.Range:
    return types.Range(types.Position(line, 2), types.Position(line, 2))


def test_action_on_comment_line_runs_the_command() -> None:
    positions = Positions(TextIndex("-- count users\nSELECT 1"))
    action = comment_code_action("file:///q.sql", positions, _at(0))
    assert action is not None and action.title == "Generate SQL from comment"
    assert action.command is not None and action.command.command == "querywright.generateFromComment"
    assert action.command.arguments == [{"uri": "file:///q.sql", "line": 0}]


def test_no_action_on_code_or_blank_lines() -> None:
    positions = Positions(TextIndex("-- count users\nSELECT 1\n"))
    assert comment_code_action("file:///q.sql", positions, _at(1)) is None
    assert comment_code_action("file:///q.sql", positions, _at(2)) is None
