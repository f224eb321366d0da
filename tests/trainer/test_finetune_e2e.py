"""End to end on examples/shop with the real SmolLM2-135M: finetune → GGUF → served → manifest.

A handful of LoRA steps on the CPU (the laptop defaults, fewer steps), evaluation of the base
and the new model on a few test pairs, export as the base GGUF plus a LoRA GGUF registered
for the embedded engine (no Ollama server here), then a completion from the new model through the same
``open_completer`` the editor uses. A few minutes of CPU at most.
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
from querywright import schemas
from querywright.server.ai.completer import CompletionRequest
from querywright.server.ai.embedded import release_engines
from querywright.server.ai.models import SMOLLM2_135M, pull_model
from querywright.server.ai.prompt import STOP_SEQUENCES, build_prompt
from querywright.server.ai.refs import BackendConfig, open_completer
from querywright.trainer.export import sha256_file
from querywright.trainer.finetune import FinetuneOptions, run_finetune
from querywright.trainer.gguf import ensure_converter

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"
SCHEMA = "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT, country CHAR(2));"


@pytest.mark.model
@pytest.mark.slow
def test_finetune_shop_end_to_end(tmp_path: Path) -> None:
    pull_model(SMOLLM2_135M)  # the built-in weights (cached per user)
    ensure_converter()  # llama.cpp's converter (cached per user)
    workspace = Path(shutil.copytree(EXAMPLE, tmp_path / "shop"))
    events = io.StringIO()
    options = FinetuneOptions(workspace=workspace, max_steps=2, eval_limit=3, synthetic=40,
                              out=tmp_path / "run", name="shop-sql", ollama="off",
                              progress="json", stream=events, models_dir=tmp_path / "registry",
                              overlap=True,  # the current model scored while training, as on a GPU
                              # named: the run exports and scores even when two steps beat nothing
                              # on validation (without --current it would stop there, see below)
                              current="builtin:smollm2-135m")
    result = run_finetune(options)

    # progress: every stage announced in order, training steps reported, a final verdict
    lines = [json.loads(line) for line in events.getvalue().splitlines()]
    begun = [e["stage"] for e in lines if e["event"] == "begin"]
    assert begun == ["dataset", "train", "eval-current", "export", "eval", "register"]
    steps = [e["step"] for e in lines if e["event"] == "progress" and e["stage"] == "train"]
    assert steps == [1, 2]
    done = lines[-1]
    assert done["event"] == "done" and done["model"] == "shop-sql" == result.model
    assert done["better"] is result.better
    # a CPU run says what it can do and names the faster routes
    assert any("trained on the CPU: 2 LoRA steps" in n and "CUDA GPU" in n for n in done["notes"]), done["notes"]

    # the manifest: valid, written last, its hashes match the files
    manifest = json.loads(result.manifest.read_text())
    jsonschema.validate(manifest, json.loads(
        (files(schemas) / "model-manifest.schema.json").read_text()))
    assert manifest["base"]["ref"] == "builtin:smollm2-135m"
    assert manifest["metrics"]["examples"] == 3 and manifest["metrics"]["train"]["steps"] == 2
    assert manifest["metrics"]["pipeline"] == "ask"  # scored as `ask` answers in the workspace
    roles = {f["role"] for f in manifest["files"]}
    assert {"gguf", "adapter-gguf", "modelfile", "config", "report"} <= roles
    assert manifest["config"]["export"]["mode"] == "adapter"  # the GGUF base is kept as it is
    [base_file] = [f for f in manifest["files"] if f["role"] == "gguf"]
    assert base_file["sha256"] == manifest["base"]["sha256"]
    for entry in manifest["files"]:
        path = result.model_dir / entry["path"]
        assert sha256_file(path) == entry["sha256"] and path.stat().st_size == entry["bytes"]
        assert path.stat().st_mtime <= result.manifest.stat().st_mtime
    assert (tmp_path / "run" / "eval" / "report.md").is_file()
    assert not list((tmp_path / "run").glob(".*"))  # no partial folders left behind

    # the embedded engine serves the new model by its registered name
    async def complete() -> str:
        completer = open_completer("shop-sql", BackendConfig(models_dir=tmp_path / "registry",
                                                             n_ctx=1024))
        prompt = build_prompt(SCHEMA, "postgres", "emails of users in France", prefix="SELECT")
        [completion] = await completer.complete(CompletionRequest(
            prompt, max_tokens=24, stop=STOP_SEQUENCES))
        await completer.aclose()
        return completion.text

    try:
        text = asyncio.run(complete())
    finally:
        release_engines()
    assert text.strip()


@pytest.mark.model
@pytest.mark.slow
def test_a_tune_that_beats_nothing_on_validation_keeps_the_current_model(tmp_path: Path) -> None:
    # a learning rate that wrecks the adapter: the validation loss after each step is above
    # the start's, so the run keeps the shipped adapter and exports nothing
    pull_model(SMOLLM2_135M)
    workspace = Path(shutil.copytree(EXAMPLE, tmp_path / "shop"))
    config = tmp_path / "wreck.toml"
    config.write_text("learning_rate = 0.05\nwarmup_steps = 0\nsave_steps = 1\n")
    events = io.StringIO()
    options = FinetuneOptions(workspace=workspace, config=config, max_steps=2, eval_limit=3, synthetic=120,
                              out=tmp_path / "run", name="shop-sql", ollama="off", progress="json",
                              stream=events, models_dir=tmp_path / "registry")
    result = run_finetune(options)

    lines = [json.loads(line) for line in events.getvalue().splitlines()]
    assert [e["stage"] for e in lines if e["event"] == "begin"] == ["dataset", "train", "eval-current", "export", "eval", "register"]
    kept = [e for e in lines if e["event"] == "kept-start"]
    assert kept and kept[0]["best_eval_loss"] > kept[0]["eval_loss"]
    done = lines[-1]
    assert done["event"] == "done" and done["better"] is False and done["manifest"] is None
    assert result.model == done["model"] == "builtin:smollm2-135m" and result.manifest is None
    assert "no training step beat its adapter's validation loss" in result.message
    assert not (tmp_path / "registry").exists() and not (tmp_path / "run" / "models").exists()
