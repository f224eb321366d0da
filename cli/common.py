"""Helpers shared by subcommands: workspace option, config loading with shown problems."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..server.config import Config, load_config
from ..server.errors import ConfigError
from ..server.redact import mask_text


def add_workspace_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workspace", "-w", type=Path, default=Path("."), help="workspace root (default: current directory)")
    parser.add_argument("--trust-workspace", action="store_true",
                        help="honour the workspace file's settings that send data elsewhere (database_url, ollama_host, openai: models)")


def workspace_root(args: argparse.Namespace) -> Path:
    root = Path(args.workspace).expanduser()
    if not root.is_dir():
        raise ConfigError(f"workspace {root} is not a directory")
    return root.resolve()


def workspace_config(root: Path, quiet: bool = False) -> Config:
    """The workspace's config; each bad setting is printed to stderr and its default used."""
    config, problems = load_config(root)
    if not quiet:
        for problem in problems:
            print(mask_text(f"querywright: config: {problem} (using the default)"), file=sys.stderr)
    return config
