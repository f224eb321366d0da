"""``querywright finetune``: harvest → dataset → train → eval → export → register, in one go.

    querywright finetune [--workspace DIR] [--config FILE] [--base REF] [--max-steps N]
                         [--out DIR] [--name NAME] [--current REF] [--resume]
                         [--eval-limit N] [--export auto|adapter|merged] [--ollama auto|on|off]
                         [--progress auto|bar|json|none] [--trust-workspace]

Without a GPU the defaults train a few LoRA steps of the built-in model on the CPU; with one,
the backend is chosen from measurements. ``--progress json`` prints only JSON lines on stdout
(``stage``, ``progress``, ``done`` or ``error`` events) for the editor; library output goes
to stderr. Interrupted (Ctrl-C or SIGTERM): checkpoints are kept, ``--resume`` continues.
The workspace file's ``database_url`` (the schema the harvest and the synthesis use is then
read from that database) counts only with ``--trust-workspace`` or for a root in the user's
trusted-workspaces file, as for the other subcommands.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from .common import add_trust_argument, workspace_config


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("finetune", help="fine-tune a model on this workspace's queries",
                                   description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", type=Path, default=Path("."), help="default: .")
    parser.add_argument("--config", type=Path, help="TOML or JSON training settings")
    parser.add_argument("--base", help="base model (default: builtin:smollm2-135m)")
    parser.add_argument("--max-steps", type=int, help="optimizer steps (CPU default: 8)")
    parser.add_argument("--out", type=Path, help="run folder (default: per-user cache)")
    parser.add_argument("--name", help="model name (default: <workspace>-sql-<timestamp>)")
    parser.add_argument("--current", metavar="REF",
                        help="the model to beat in the eval (default: the base)")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run")
    parser.add_argument("--eval-limit", type=int, help="evaluate on at most N test examples")
    parser.add_argument("--eval-pipeline", choices=("ask", "raw"), default="ask",
                        help="how held-out answers are made: ask (as `querywright ask` serves "
                             "them over this workspace, the default) or raw (greedy, no repairs)")
    parser.add_argument("--synthetic", type=int, help="synthetic pairs to generate")
    parser.add_argument("--public", help="add public-set rows (parquet or jsonl) to the data")
    parser.add_argument("--general", type=float, default=None, metavar="RATIO",
                        help="general SQL pairs replayed per workspace training pair, so the tune "
                             "does not forget (default 1.0; 0: none)")
    parser.add_argument("--export", choices=("auto", "adapter", "merged"), default="auto",
                        help="the new model as the base GGUF plus a LoRA GGUF (adapter), or the "
                             "LoRA merged into one GGUF (merged); auto: adapter when the base is a "
                             "GGUF (seconds, not a re-quantized copy), else merged")
    parser.add_argument("--ollama", choices=("auto", "on", "off"), default="auto")
    parser.add_argument("--ollama-host", default="http://127.0.0.1:11434")
    parser.add_argument("--progress", choices=("auto", "bar", "json", "none"), default="auto")
    add_trust_argument(parser)
    parser.set_defaults(func=run)


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (the editor's cancel) unwinds like Ctrl-C, so cleanup code runs."""
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from ..server.errors import QuerywrightError
    from ..trainer.finetune import FinetuneOptions, interrupted_message, run_finetune

    as_json = args.progress == "json"
    stdout = sys.stdout
    root = Path(args.workspace).expanduser()
    # the workspace's settings, trust-checked once here; each problem goes to stderr
    settings = workspace_config(root.resolve(), trusted=args.trust_workspace) if root.is_dir() else None
    options = FinetuneOptions(
        workspace=args.workspace, config=args.config, base=args.base, max_steps=args.max_steps,
        out=args.out, name=args.name, current=args.current, resume=args.resume,
        eval_limit=args.eval_limit, eval_pipeline=args.eval_pipeline, synthetic=args.synthetic,
        public=args.public, general=args.general, export_mode=None if args.export == "auto" else args.export,
        ollama=args.ollama, ollama_host=args.ollama_host, progress=args.progress,
        stream=stdout if as_json else None, settings=settings)

    def emit(event: str, **fields: Any) -> None:
        if as_json:
            stdout.write(json.dumps({"event": event, "stage": "finetune", **fields}) + "\n")
            stdout.flush()

    signal.signal(signal.SIGTERM, _terminate)
    try:
        # JSON lines own stdout; anything a library prints goes to stderr meanwhile
        with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
            result = run_finetune(options)
    except KeyboardInterrupt:
        message = interrupted_message(options)
        emit("error", message=message, interrupted=True)
        print(f"querywright: {message}", file=sys.stderr)
        return 130
    except QuerywrightError as exc:
        emit("error", message=str(exc))
        raise
    if not as_json:
        print(json.dumps({"model": result.model, "better": result.better,
                          "message": result.message,
                          "manifest": str(result.manifest) if result.manifest else None,
                          "notes": result.notes}))
    return 0
