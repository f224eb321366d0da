"""``querywright schema``: print the workspace's catalog (tables, columns, sources)."""

from __future__ import annotations

import argparse
import json
import sys

from ..server.redact import mask_url
from .common import add_workspace_argument, workspace_config, workspace_root


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("schema", help="show the schema read from DDL files, migrations or a database")
    add_workspace_argument(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..server.sql.workspace import load_catalog

    root = workspace_root(args)
    config = workspace_config(root, trusted=args.trust_workspace)
    index = load_catalog(root, config)
    catalog = index.catalog
    if args.json:
        json.dump(catalog.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    from rich.console import Console
    from rich.table import Table as RichTable

    console = Console()
    for table in sorted(catalog, key=lambda t: t.display_name.lower()):
        grid = RichTable(title=f"{table.kind} [bold]{table.display_name}[/]  [dim]{table.location or ''}[/]", title_justify="left", show_edge=False)
        grid.add_column("column")
        grid.add_column("type")
        grid.add_column("constraints")
        grid.add_column("defined at", style="dim")
        for key, col in table.columns.items():
            fks = [f"-> {fk.ref_table}" for fk in table.foreign_keys if key in fk.columns]
            constraints = " ".join(x for x in ("PK" if col.primary_key else "", "NOT NULL" if not col.nullable and not col.primary_key else "", *fks) if x)
            grid.add_row(col.name, col.type, constraints, str(col.location or ""))
        console.print(grid)
        console.print()
    console.print(f"{len(catalog)} tables, {catalog.column_count()} columns, dialect {catalog.dialect}; "
                  f"{len(index.files.schema)} schema files" + (f", database {mask_url(config.database_url)}" if config.database_url else ""))
    if catalog.skipped:
        console.print(f"{len(catalog.skipped)} statements or clauses skipped (see --json \"skipped\" for file, line and reason)")
    for issue in catalog.issues:
        if issue.code == "skipped-ddl":
            continue
        console.print(f"[yellow]warning[/] {issue.path}:{issue.span.start.line + 1}: {issue.message} [dim]({issue.code})[/]")
    return 0
