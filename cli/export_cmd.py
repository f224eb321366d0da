"""``querywright export``: a trained adapter → GGUF + Modelfile + manifest, served by name.

    querywright export --adapter runs/shop/adapter --name shop-sql
                       [--base REF] [--mode merged|adapter] [--quant q8_0|f16|bf16|f32|q4_k_m]
                       [--ollama auto|on|off] [--ollama-host URL] [--out DIR] [--overwrite]

``merged`` (default) folds the adapter into the base weights and writes one GGUF; ``adapter``
writes a small adapter GGUF applied on top of the base GGUF. With a reachable Ollama server
the model is created there (``ollama:NAME``); otherwise it is registered for the embedded
engine (model reference ``NAME``). Prints the result as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("export", help="export a trained adapter as a GGUF model",
                                   description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--adapter", required=True, type=Path, help="the trained adapter folder")
    parser.add_argument("--name", help="model name (default: from the adapter folder)")
    parser.add_argument("--base", help="base model reference (default: the adapter's config)")
    parser.add_argument("--mode", choices=("merged", "adapter"), default="merged")
    parser.add_argument("--quant", default="q8_0",
                        help="f32, f16, bf16, q8_0 (default) or q4_k_m (needs llama-cpp-python)")
    parser.add_argument("--ollama", choices=("auto", "on", "off"), default="auto",
                        help="auto: create in Ollama when a server answers (default)")
    parser.add_argument("--ollama-host", default="http://127.0.0.1:11434")
    parser.add_argument("--out", type=Path, help="model folder (default: the per-user cache)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing export")
    parser.add_argument("--progress", choices=("auto", "bar", "json", "none"), default="auto")
    parser.set_defaults(func=run)


def model_name(text: str) -> str:
    """A registry-safe model name from free text (``My Repo`` → ``my-repo``)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-._").lower()
    return name[:100] or "model"


def default_out(name: str) -> Path:
    from ..server.ai.models import cache_dir

    return cache_dir().parent / "finetuned" / name


def run(args: argparse.Namespace) -> int:
    from ..trainer.export import ExportOptions, export_model
    from ..trainer.progress import Progress

    name = model_name(args.name or args.adapter.resolve().name)
    options = ExportOptions(adapter=args.adapter, out=args.out or default_out(name), name=name,
                            base=args.base, mode=args.mode, quant=args.quant, ollama=args.ollama,
                            ollama_host=args.ollama_host, overwrite=args.overwrite)
    with Progress("export", 5, mode=args.progress) as progress:
        result = export_model(options, progress)
    print(json.dumps({"model": result.ref, "out": str(result.out),
                      "manifest": str(result.manifest), "gguf": str(result.gguf),
                      "adapter_gguf": str(result.adapter_gguf) if result.adapter_gguf else None,
                      "notes": result.notes}))
    return 0
