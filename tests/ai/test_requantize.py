"""Re-encoding a GGUF's weights (``server.ai.requantize``) on a small synthetic file; the
real model's re-encoding is checked against its pinned hash in test_models.py."""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
import pytest
from querywright.server.ai.requantize import requantize
from querywright.server.errors import ModelError

Q = gguf.GGMLQuantizationType


def write_model(path: Path) -> dict[str, np.ndarray]:
    """A tiny llama-style GGUF: two Q4_1 matrices, a Q8_0 embedding, an F32 norm."""
    rng = np.random.default_rng(0)
    weights = {
        "blk.0.ffn_up.weight": rng.standard_normal((8, 64)).astype(np.float32),
        "blk.0.attn_q.weight": rng.standard_normal((4, 64)).astype(np.float32),
        "token_embd.weight": rng.standard_normal((16, 64)).astype(np.float32),
        "output_norm.weight": rng.standard_normal(64).astype(np.float32),
    }
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("tiny")
    writer.add_file_type(3)  # MOSTLY_Q4_1
    writer.add_context_length(128)
    writer.add_token_list(["<s>", "a", "b"])
    writer.add_token_scores([0.0, -1.0, -2.0])
    for name, value in weights.items():
        if name.startswith("blk."):
            writer.add_tensor(name, gguf.quants.quantize(value, Q.Q4_1), raw_dtype=Q.Q4_1)
        elif name == "token_embd.weight":
            writer.add_tensor(name, gguf.quants.quantize(value, Q.Q8_0), raw_dtype=Q.Q8_0)
        else:
            writer.add_tensor(name, value)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return weights


def tensors(path: Path) -> dict[str, object]:
    return {t.name: t for t in gguf.GGUFReader(path).tensors}


def test_q4_1_matrices_become_q8_0_and_the_rest_is_copied(tmp_path: Path) -> None:
    weights = write_model(tmp_path / "in.gguf")
    out = requantize(tmp_path / "in.gguf", tmp_path / "out" / "model.gguf", progress=print)
    before, after = tensors(tmp_path / "in.gguf"), tensors(out)
    assert list(after) == list(before)
    for name, tensor in after.items():
        source = before[name]
        if source.tensor_type == Q.Q4_1:
            assert tensor.tensor_type == Q.Q8_0
            values = gguf.quants.dequantize(tensor.data, Q.Q8_0).reshape(weights[name].shape)
            shipped = gguf.quants.dequantize(source.data, Q.Q4_1).reshape(weights[name].shape)
            scale = np.abs(shipped).max(axis=1, keepdims=True)
            assert np.all(np.abs(values - shipped) <= scale / 127)  # within one 8-bit step
        else:
            assert tensor.tensor_type == source.tensor_type
            assert np.array_equal(np.asarray(tensor.data), np.asarray(source.data))
    reader = gguf.GGUFReader(out)
    assert reader.fields["general.file_type"].parts[-1][0] == 7  # MOSTLY_Q8_0
    q4 = requantize(tmp_path / "in.gguf", tmp_path / "q4.gguf", target="Q4_0")
    assert {t.tensor_type for t in tensors(q4).values()} == {Q.Q4_0, Q.Q8_0, Q.F32}
    tokens = reader.fields["tokenizer.ggml.tokens"]
    assert [bytes(tokens.parts[i]).decode() for i in tokens.data] == ["<s>", "a", "b"]
    assert bytes(reader.fields["general.name"].parts[-1]).decode() == "tiny"


def test_output_is_deterministic_and_atomic(tmp_path: Path) -> None:
    write_model(tmp_path / "in.gguf")
    first = requantize(tmp_path / "in.gguf", tmp_path / "a.gguf").read_bytes()
    assert requantize(tmp_path / "in.gguf", tmp_path / "b.gguf").read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gguf", "b.gguf", "in.gguf"]


def test_bad_input_is_a_clear_error_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "notes.gguf").write_text("not a model")
    with pytest.raises(ModelError, match="cannot read"):
        requantize(tmp_path / "notes.gguf", tmp_path / "out.gguf")
    write_model(tmp_path / "in.gguf")
    with pytest.raises(ModelError, match="unknown GGUF quantization type"):
        requantize(tmp_path / "in.gguf", tmp_path / "out.gguf", target="Q3_X")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.gguf", "notes.gguf"]
