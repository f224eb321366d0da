"""Entry point of the ``querywright`` command.

Each subcommand lives in its own module under ``querywright.cli`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a callable taking the
parsed arguments and returning an exit code. Modules import their heavy dependencies
inside ``func`` so that ``querywright --help`` and ``querywright lsp`` start fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from ..server import __version__
from ..server.errors import QuerywrightError
from ..server.redact import MaskingFormatter, mask_text

# Optional modules and the extra that installs each (``pip install 'querywright[EXTRA]'``).
OPTIONAL_EXTRAS: dict[str, str] = {
    "psycopg": "postgres",
    "xllamacpp": "local",
    "gguf": "local",
    "torch": "train",
    "transformers": "train",
    "peft": "train",
    "trl": "train",
    "datasets": "train",
}


def missing_extra_message(module: str | None) -> str | None:
    """The one-line install hint for a missing optional module, or None when it is not one."""
    extra = OPTIONAL_EXTRAS.get((module or "").split(".")[0])
    if extra is None:
        return None
    return f"the Python module {module!r} is not installed: pip install 'querywright[{extra}]'"


# Subcommand modules, in the order they appear in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "schema_cmd",
    "check_cmd",
    "lsp_cmd",
    "ask_cmd",
    "models_cmd",
    "eval_cmd",
    "export_cmd",
    "finetune_cmd",
    "harvest_cmd",
    "dataset_cmd",
    "train_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="querywright",
        description="A local SQL copilot that knows your workspace's schema.",
    )
    parser.add_argument("--version", action="version", version=f"querywright {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"{__package__}.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(MaskingFormatter("%(levelname)s %(name)s: %(message)s"))  # no credential reaches a log line
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, handlers=[handler])
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except QuerywrightError as exc:
        print(mask_text(f"querywright: error: {exc}"), file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        message = missing_extra_message(exc.name)
        if message is None:
            raise
        print(f"querywright: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("querywright: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
