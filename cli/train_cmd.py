"""``querywright train``: fine-tune a LoRA/QLoRA adapter on JSON lines of text-to-SQL pairs.

    querywright train --config train.toml [--set lora_r=8 ...] [--max-steps N] [--out DIR]
                      [--backend auto|unsloth|hf-qlora|hf-lora] [--resume [CHECKPOINT]]
                      [--progress bar|json|none]

With ``--progress json`` stdout carries only JSON lines (progress events); library chatter goes
to stderr. Several GPUs (hf backends): ``accelerate launch --num_processes N -m
querywright.cli.main train ...`` (one process per GPU, DDP).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("train", help="fine-tune an adapter on text-to-SQL pairs",
                                   description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", help="TOML or JSON file of training settings")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override one setting (repeatable)")
    parser.add_argument("--base", help="base model: folder, .gguf, or builtin:NAME")
    parser.add_argument("--data", help="training data (JSON lines)")
    parser.add_argument("--max-steps", type=int, help="stop after N optimizer steps")
    parser.add_argument("--out", help="output folder for the adapter")
    parser.add_argument("--backend", choices=("auto", "unsloth", "hf-qlora", "hf-lora"))
    parser.add_argument("--resume", nargs="?", const="latest", default=None,
                        help="resume from the latest checkpoint of --out, or from CHECKPOINT")
    parser.add_argument("--progress", choices=("auto", "bar", "json", "none"))
    parser.set_defaults(func=run)


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Command-line flags as config overrides; ``--set`` pairs first, named flags win."""
    from ..trainer.train_config import parse_overrides

    values: dict[str, Any] = dict(parse_overrides(args.set))
    for flag, key in (("base", "base"), ("data", "data"), ("max_steps", "max_steps"),
                      ("out", "out"), ("backend", "backend"), ("resume", "resume"),
                      ("progress", "progress")):
        value = getattr(args, flag)
        if value is not None:
            values[key] = value
    return values


def run(args: argparse.Namespace) -> int:
    from ..trainer.progress import Progress
    from ..trainer.train import run_training
    from ..trainer.train_config import load_config

    config = load_config(args.config, overrides_from_args(args))
    main_process = int(os.environ.get("RANK", "0")) == 0
    if not main_process:  # accelerate launch: one reporter, rank 0
        config.progress = "none"
    as_json = config.progress == "json"
    # JSON lines go to the real stdout; libraries that print are sent to stderr meanwhile
    progress = Progress("train", config.max_steps, mode=config.progress,  # type: ignore[arg-type]
                        stream=sys.stdout if as_json else None)
    with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
        result = run_training(config, progress)
    if main_process and not as_json:
        steady = result.steady_tokens_per_second()
        print(json.dumps({"adapter": result.adapter_dir, "steps": result.steps,
                          "final_loss": result.final_loss,
                          "tokens_per_second": round(steady, 1) if steady else None}))
    return 0
