"""Helpers shared by subcommands: workspace option, config loading with shown problems."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..server.config import Config, allowlisted, load_config
from ..server.errors import ConfigError
from ..server.redact import mask_text


TRUST_HELP = ("honour the workspace file's settings that send data elsewhere (database_url, ollama_host, "
              "openai: models); without it they count only for roots listed in the user's trusted-workspaces file")


def add_workspace_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workspace", "-w", type=Path, default=Path("."), help="workspace root (default: current directory)")
    add_trust_argument(parser)


def workspace_root(args: argparse.Namespace) -> Path:
    root = Path(args.workspace).expanduser()
    if not root.is_dir():
        raise ConfigError(f"workspace {root} is not a directory")
    return root.resolve()


def workspace_config(root: Path, quiet: bool = False, trusted: bool = False) -> Config:
    """The workspace's config; each bad setting is printed to stderr and its default used.

    The workspace file's settings that send data elsewhere count only when ``trusted``
    (``--trust-workspace``) or the root is in the user's trusted-workspaces allowlist.
    """
    config, problems = load_config(root, trusted=trusted or allowlisted(root))
    if not quiet:
        for problem in problems:
            print(mask_text(f"querywright: config: {problem}" + (" (using the default)" if problem.fallback else "")), file=sys.stderr)
    return config


def add_trust_argument(parser: argparse.ArgumentParser) -> None:
    """``--trust-workspace`` alone, for subcommands with their own ``--workspace`` option."""
    parser.add_argument("--trust-workspace", action="store_true", help=TRUST_HELP)
