"""``querywright lsp``: the language server on stdio."""

from __future__ import annotations

import argparse
import logging


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("lsp", help="run the language server on stdio")
    parser.add_argument("--stdio", action="store_true", help="accepted for editor compatibility (stdio is the default)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..server.lsp.server import create_server  # heavy: pygls, sqlglot

    # sqlglot warns on stderr about constructs a target dialect lacks (while transpiling);
    # the editor shows stderr as the server's log, where these would be noise.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    create_server().start_io()
    return 0
