"""Export mechanics on a tiny random-weight llama: merge, GGUF, Modelfile, manifest, registry.

The tiny model (2 layers, hidden size 32) is built from a config with a SentencePiece
tokenizer trained here, because llama.cpp's converter accepts a SentencePiece vocabulary
without knowing its pre-tokenizer (a fresh byte-level BPE is refused). The GGUF converter is
llama.cpp's own, extracted once per user from the llama-cpp-python source distribution.
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
from pathlib import Path

import pytest
from querywright.server.ai import prompt
from querywright.server.ai.completer import CompletionRequest
from querywright.server.ai.embedded import release_engines
from querywright.server.ai.refs import BackendConfig, open_completer
from querywright.server.errors import TrainingError
from querywright.trainer import export, gguf

from ..support.fake_ollama import FakeOllama
from ..support.fake_ollama_api import render
from ..support.tiny_llama import nonzero_lora, save_tiny_llama

CORPUS = ["SELECT id, name FROM customers WHERE city = 'Paris';",
          "SELECT count(*) FROM orders GROUP BY customer_id;", "-- list every customer",
          "CREATE TABLE orders (id INT, total REAL);"] * 20


@pytest.fixture(scope="session")
def spm_llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Hugging Face folder: random 2-layer llama + a SentencePiece tokenizer.model."""
    import sentencepiece as spm

    folder = tmp_path_factory.mktemp("spm-llama")
    model_bytes = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS), model_writer=model_bytes, vocab_size=320,
        model_type="bpe", unk_id=0, bos_id=1, eos_id=2, pad_id=3, byte_fallback=True,
        character_coverage=1.0, minloglevel=2)
    (folder / "tokenizer.model").write_bytes(model_bytes.getvalue())
    save_tiny_llama(folder, 320)
    return folder


@pytest.fixture(scope="session")
def adapter(spm_llama: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LoRA adapter on ``spm_llama`` with non-zero B matrices, and its train_config.json."""
    folder = tmp_path_factory.mktemp("adapter")
    nonzero_lora(spm_llama, seed=1).save_pretrained(folder)
    (folder / "train_config.json").write_text(json.dumps({"base": str(spm_llama), "lora_r": 4}))
    return folder


@pytest.fixture(scope="session")
def converter() -> Path:
    return gguf.ensure_converter()


def options(adapter: Path, tmp_path: Path, **fields: object) -> export.ExportOptions:
    values: dict = {"adapter": adapter, "out": tmp_path / "model", "name": "tiny-sql",
                    "ollama": "off", "models_dir": tmp_path / "registry", **fields}
    return export.ExportOptions(**values)


def complete(ref: str, models_dir: Path) -> str:
    async def run() -> str:
        completer = open_completer(ref, BackendConfig(models_dir=models_dir, n_ctx=256))
        [completion] = await completer.complete(CompletionRequest("SELECT id FROM", max_tokens=4))
        await completer.aclose()
        return completion.text

    try:
        return asyncio.run(run())
    finally:
        release_engines()


# --- Modelfile and manifest -----------------------------------------------------------------


def test_modelfile_template_reproduces_the_served_prompt() -> None:
    text = export.modelfile_text("./m.gguf", "./a.gguf", temperature=0.0)
    assert text.startswith("FROM ./m.gguf\nADAPTER ./a.gguf\n")
    template = text.split('TEMPLATE """', 1)[1].split('"""', 1)[0]
    assert template == prompt.ollama_template()
    schema, question = "CREATE TABLE t (a INT);", "all values of a"
    rendered = render(template, {"System": prompt.system_text(schema, "sqlite"),
                                 "Prompt": prompt.user_text(question)})
    assert rendered == prompt.build_prompt(schema, "sqlite", question)
    for stop in (prompt.STATEMENT_END, prompt.IM_END, prompt.IM_START):
        assert f"PARAMETER stop {json.dumps(stop)}" in text
    assert "PARAMETER temperature 0\n" in text


def test_manifest_is_validated_and_written_atomically(tmp_path: Path) -> None:
    (tmp_path / "m.gguf").write_bytes(b"GGUF\x03\x00\x00\x00rest")
    import hashlib

    entry = export.file_entry(tmp_path, tmp_path / "m.gguf", "gguf")
    assert entry == {"path": "m.gguf", "bytes": 12, "role": "gguf",
                     "sha256": hashlib.sha256(b"GGUF\x03\x00\x00\x00rest").hexdigest()}
    manifest = {"name": "m", "created": "2026-11-22T10:00:00+00:00", "base": {"ref": "b"},
                "prompt_format": "qw-1", "files": [entry], "ollama": None}
    path = export.write_manifest(tmp_path, manifest)
    assert json.loads(path.read_text()) == manifest
    with pytest.raises(TrainingError, match="manifest is invalid"):
        export.write_manifest(tmp_path, {**manifest, "files": []})
    assert json.loads(path.read_text()) == manifest  # the valid one is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.gguf", "manifest.json"]


def test_merge_folds_the_adapter_into_the_weights(spm_llama: Path, adapter: Path,
                                                  tmp_path: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    merged = export.merge_adapter(spm_llama, adapter, tmp_path / "merged")
    assert (merged / "tokenizer.model").is_file()
    ids = torch.tensor([[1, 50, 60, 70, 80]])
    with torch.no_grad():
        peft_model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(spm_llama),
                                               str(adapter))
        expected = peft_model(ids).logits
        got = AutoModelForCausalLM.from_pretrained(merged, dtype=torch.float32)(ids).logits
        plain = AutoModelForCausalLM.from_pretrained(spm_llama)(ids).logits
    assert torch.allclose(got, expected, atol=2e-2)
    assert not torch.allclose(plain, expected, atol=2e-2)  # the adapter does change the model


# --- whole exports --------------------------------------------------------------------------


def test_merged_export_is_served_by_the_embedded_engine(converter: Path, adapter: Path,
                                                        tmp_path: Path) -> None:
    result = export.export_model(options(adapter, tmp_path))
    assert result.ref == "tiny-sql" and result.adapter_gguf is None
    assert result.gguf.read_bytes()[:4] == b"GGUF"
    manifest = json.loads(result.manifest.read_text())
    assert {f["role"] for f in manifest["files"]} == {"gguf", "modelfile", "config"}
    for entry in manifest["files"]:
        assert export.sha256_file(result.out / entry["path"]) == entry["sha256"]
    assert manifest["prompt_format"] == prompt.PROMPT_FORMAT
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no leftovers
    assert complete("tiny-sql", tmp_path / "registry")  # registered, loads, generates
    with pytest.raises(TrainingError, match="--overwrite"):
        export.export_model(options(adapter, tmp_path))


@pytest.mark.slow
def test_adapter_export_applies_on_the_base_gguf(converter: Path, adapter: Path,
                                                 tmp_path: Path) -> None:
    result = export.export_model(options(adapter, tmp_path, mode="adapter", name="tiny-lora"))
    assert result.adapter_gguf is not None and result.adapter_gguf.read_bytes()[:4] == b"GGUF"
    modelfile = (result.out / export.MODELFILE).read_text()
    assert f"FROM ./{result.gguf.name}\nADAPTER ./adapter.gguf\n" in modelfile
    assert complete("tiny-lora", tmp_path / "registry")


@pytest.mark.slow
def test_adapter_export_writes_the_base_at_the_asked_type(converter: Path, adapter: Path,
                                                          tmp_path: Path) -> None:
    """A large base is converted once, as bf16 (no re-quantization), the LoRA beside it."""
    result = export.export_model(options(adapter, tmp_path, mode="adapter", name="tiny-bf16",
                                         quant="bf16"))
    assert result.gguf.name == "base.bf16.gguf" and result.adapter_gguf is not None
    assert complete("tiny-bf16", tmp_path / "registry")


def test_export_to_a_reachable_ollama_uses_create_with_blobs(converter: Path, adapter: Path,
                                                              tmp_path: Path) -> None:
    """The stand-in Ollama server (tests/support) speaks Ollama's HTTP API; the client is real."""
    with FakeOllama(n_ctx=256) as server:
        result = export.export_model(options(adapter, tmp_path, ollama="on",
                                             ollama_host=server.url))
        assert result.ref == "ollama:tiny-sql"
        assert server.find("tiny-sql") is not None
    manifest = json.loads(result.manifest.read_text())
    assert manifest["ollama"] == {"model": "tiny-sql", "host": server.url}
    assert not (tmp_path / "registry" / "registry.json").exists()


def test_required_ollama_that_is_down_is_a_clear_error(adapter: Path, converter: Path,
                                                      tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="no Ollama server at http://127.0.0.1:9"):
        export.export_model(options(adapter, tmp_path, ollama="on",
                                    ollama_host="http://127.0.0.1:9"))
    assert not (tmp_path / "model" / export.MANIFEST).exists()  # never picked up


# --- bad input ------------------------------------------------------------------------------


def test_missing_base_model_is_named(adapter: Path, tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="does not exist"):
        export.export_model(options(adapter, tmp_path, base=str(tmp_path / "nope")))
    assert not (tmp_path / "model").exists()


def test_corrupt_adapter_is_named(adapter: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "adapter_config.json").write_text((adapter / "adapter_config.json").read_text())
    (broken / "adapter_model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(TrainingError, match="missing or corrupt"):
        export.export_model(options(broken, tmp_path))


def test_k_quants_need_llama_cpp(tmp_path: Path) -> None:
    pytest.importorskip("xllamacpp")
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        with pytest.raises(TrainingError, match="llama-cpp-python"):
            gguf.quantize(tmp_path / "in.gguf", tmp_path / "out.gguf", "q4_k_m")
    with pytest.raises(TrainingError, match="unknown quantization"):
        gguf.quantize(tmp_path / "in.gguf", tmp_path / "out.gguf", "q3_weird")


def test_adopt_tokenizer_swaps_only_the_tokenizer_metadata(tmp_path: Path) -> None:
    import numpy as np
    from gguf import GGUFReader, GGUFWriter

    def write(path: Path, tokenizer: str, eos: int, tensor: np.ndarray | None) -> Path:
        writer = GGUFWriter(path, arch="llama")
        writer.add_context_length(64)
        writer.add_tokenizer_model(tokenizer)
        writer.add_token_list(["<unk>", "<s>", "</s>", "a"])
        writer.add_eos_token_id(eos)
        if tensor is not None:
            writer.add_tensor("token_embd.weight", tensor)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        return path

    weights = np.arange(32, dtype=np.float32).reshape(4, 8)
    model = write(tmp_path / "model.gguf", "llama", 1, weights)
    donor = write(tmp_path / "donor.gguf", "gpt2", 2, None)
    gguf.adopt_tokenizer(model, donor)
    reader = GGUFReader(model)
    assert reader.fields["tokenizer.ggml.model"].contents() == "gpt2"
    assert reader.fields["tokenizer.ggml.eos_token_id"].contents() == 2
    assert reader.fields["llama.context_length"].contents() == 64
    [tensor] = reader.tensors
    assert np.array_equal(np.asarray(tensor.data).reshape(4, 8), weights)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["donor.gguf", "model.gguf"]


# --- reading a GGUF LoRA back (a repo tune continues from the shipped adapter) ---------------


def test_a_gguf_lora_reads_back_as_the_peft_tensors_it_was_made_from(
        spm_llama: Path, converter: Path, tmp_path: Path) -> None:
    import torch
    from peft import LoraConfig, get_peft_model, get_peft_model_state_dict
    from querywright.trainer.lora_gguf import read_gguf_lora
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    modules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(spm_llama),
                           LoraConfig(r=4, lora_alpha=8, target_modules=modules, task_type="CAUSAL_LM"))
    torch.manual_seed(2)
    for name, param in model.named_parameters():
        if "lora_" in name:
            param.data.normal_(0, 0.5)
    model.save_pretrained(tmp_path / "peft")
    gguf_file = gguf.convert_adapter(tmp_path / "peft", spm_llama, tmp_path / "a.gguf", outtype="f32")

    state, shape = read_gguf_lora(gguf_file, n_head=4, n_kv_head=2)  # q/k rows un-permuted

    original = load_file(str(tmp_path / "peft" / "adapter_model.safetensors"))
    assert shape.r == 4 and shape.alpha == 8 and shape.target_modules == tuple(modules)
    assert sorted(state) == sorted(original) == sorted(get_peft_model_state_dict(model))
    for key, tensor in original.items():
        assert torch.equal(state[key], tensor.float()), key


def test_a_model_file_is_not_read_as_a_lora(spm_llama: Path, converter: Path, tmp_path: Path) -> None:
    from querywright.trainer.lora_gguf import read_gguf_lora

    model_file = gguf.convert_model(spm_llama, tmp_path / "m.gguf", outtype="f32")
    with pytest.raises(TrainingError, match="not a LoRA adapter GGUF"):
        read_gguf_lora(model_file, n_head=4, n_kv_head=2)


@pytest.mark.model
@pytest.mark.slow
def test_a_model_built_on_the_builtin_tokenizer_exports_and_serves(converter: Path,
                                                                   tmp_path: Path) -> None:
    """The large-model flow in miniature: a new Llama-shaped model with the built-in model's
    tokenizer (rebuilt from its GGUF), a LoRA, the base converted to GGUF beside the adapter,
    then a completion. The converted GGUF carries the source GGUF's tokenizer: with the rebuilt
    one, llama.cpp loads the model and then rejects every request."""
    import torch
    from querywright.server.ai.models import SMOLLM2_135M, pull_model
    from querywright.trainer.backends import TOKENIZER_SOURCE, materialize_gguf, resolve_base
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    pull_model(SMOLLM2_135M)
    source = materialize_gguf(resolve_base("builtin:smollm2-135m"), cache=tmp_path / "cache")
    assert (source / TOKENIZER_SOURCE).is_file()
    tokenizer = AutoTokenizer.from_pretrained(source)
    base = tmp_path / "base"
    torch.manual_seed(0)
    LlamaForCausalLM(LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=False)).save_pretrained(base)
    tokenizer.save_pretrained(base)
    shutil.copy(source / TOKENIZER_SOURCE, base / TOKENIZER_SOURCE)
    lora = tmp_path / "lora"
    nonzero_lora(base, seed=2).save_pretrained(lora)
    result = export.export_model(options(lora, tmp_path, mode="adapter", name="mini-8b",
                                         quant="bf16", base=str(base)))
    assert result.gguf.name == "base.bf16.gguf" and result.adapter_gguf is not None
    assert complete("mini-8b", tmp_path / "registry")  # served, not only loaded


@pytest.mark.model
@pytest.mark.slow
def test_two_runs_building_the_same_base_folder_at_once_both_get_it(tmp_path: Path) -> None:
    """Two trainings started together on the same GGUF base both dequantize it into the cache;
    the one that finishes second keeps the first one's folder instead of failing."""
    from concurrent.futures import ThreadPoolExecutor

    from querywright.server.ai.models import SMOLLM2_135M, pull_model
    from querywright.trainer.backends import materialize_gguf, resolve_base
    from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: F401  (lazy imports race in threads)

    pull_model(SMOLLM2_135M)
    gguf = resolve_base("builtin:smollm2-135m")
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: materialize_gguf(gguf, cache=tmp_path / "cache"), range(2))
    assert first == second and (first / "config.json").is_file()
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [first.name]  # no temporary left
