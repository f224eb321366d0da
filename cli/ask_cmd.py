"""``querywright ask``: a question in, one validated SQL statement out (or an honest no)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from .common import add_workspace_argument, workspace_config, workspace_root


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("ask", help="write SQL for a question with the workspace's model")
    add_workspace_argument(parser)
    parser.add_argument("--model", help="model reference (default: the workspace's `model` setting)")
    parser.add_argument("--json", action="store_true", help='print {"sql", "valid", "issues", "latency_ms", "model"}')
    parser.add_argument("--samples", type=int, default=4, help="candidates to sample and rank (default 4)")
    parser.add_argument("--no-grammar", action="store_true", help="do not constrain decoding with the catalog grammar")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the model (default 120)")
    parser.add_argument("question", help="the question, in words")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..server.ai.ask import ask
    from ..server.ai.refs import BackendConfig, open_completer
    from ..server.sql.workspace import load_catalog

    root = workspace_root(args)
    config = workspace_config(root, quiet=args.json, trusted=args.trust_workspace)
    loaded = load_catalog(root, config)
    catalog = loaded.catalog
    ref = args.model or config.model
    backend = BackendConfig(ollama_host=config.ollama_host, workspace=root, timeout_s=args.timeout)
    completer = open_completer(ref, backend)

    async def answer():  # type: ignore[no-untyped-def]
        try:
            return await ask(
                args.question, catalog, completer, values=loaded.values,
                samples=max(1, args.samples), grammar=config.inline.grammar and not args.no_grammar,
            )  # fmt: skip
        finally:
            await completer.aclose()

    result = asyncio.run(answer())
    if args.json:
        json.dump(result.to_json(), sys.stdout)
        sys.stdout.write("\n")
    elif result.sql is not None:
        print(result.sql.rstrip() + ";")
    else:
        print(
            f"querywright: no valid SQL for this question from {result.model} "
            f"({result.candidates} candidates, none valid: {'; '.join(result.issues)})",
            file=sys.stderr,
        )
    return 0 if result.valid else 1
