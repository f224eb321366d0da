"""``querywright check``: check query files against the workspace's schema."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .common import add_workspace_argument, workspace_config, workspace_root


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("check", help="check query files against the schema (exit 1 on errors)")
    add_workspace_argument(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("files", nargs="*", type=Path, help="files to check (default: the workspace's query files)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..server.sql.checks import check_text
    from ..server.sql.issues import Issue, Severity
    from ..server.sql.sources import read_text
    from ..server.sql.workspace import load_catalog

    root = workspace_root(args)
    config = workspace_config(root, trusted=args.trust_workspace)
    index = load_catalog(root, config)
    catalog = index.catalog
    max_bytes = int(config.max_file_size_mb * 1024 * 1024)
    if args.files:
        targets = []
        for f in args.files:
            path = f if f.is_absolute() else Path.cwd() / f
            try:
                rel = path.resolve().relative_to(root).as_posix()
            except ValueError:
                rel = str(f)
            targets.append((path, rel))
    else:
        targets = [(root / rel, rel) for rel in index.files.queries]
    issues: list[Issue] = []
    for path, rel in targets:
        if not path.is_file():
            print(f"querywright: {rel}: no such file", file=sys.stderr)
            return 2
        text, problem = read_text(path, rel, max_bytes)
        if problem is not None:
            issues.append(problem)
        if text is None:
            continue
        if index.is_schema_file(rel):
            issues.extend(i for i in catalog.issues if i.path == rel)
            continue
        issues.extend(check_text(text, catalog, rel))
    if args.json:
        json.dump([i.to_json() for i in issues], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_human(issues, len(targets))
    return 1 if any(i.severity is Severity.ERROR for i in issues) else 0


def _print_human(issues: list, checked: int) -> None:  # type: ignore[type-arg]
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=True)
    colours = {"error": "red", "warning": "yellow", "info": "blue", "hint": "dim"}
    for issue in issues:
        data = issue.to_json()
        colour = colours.get(data["severity"], "white")
        console.print(f"[bold]{escape(str(data['path']))}:{data['line']}:{data['column']}[/]: [{colour}]{data['severity']}[/] {escape(str(data['message']))} [dim]({data['code']})[/]")
    errors = sum(1 for i in issues if i.severity.value == "error")
    warnings = sum(1 for i in issues if i.severity.value == "warning")
    console.print(f"{checked} files checked: {errors} errors, {warnings} warnings")
