"""Read a llama.cpp GGUF LoRA adapter back into the tensors peft trains.

The SQL adapter ships as a GGUF LoRA (what the embedded engine applies), and a repo tune
continues from it, so training needs its tensors under peft's names. This module undoes what
llama.cpp's ``convert_lora_to_gguf.py`` did for a Llama-architecture model:

- names: ``blk.{i}.attn_q.weight.lora_a`` ⇄ ``base_model.model.model.layers.{i}.self_attn.
  q_proj.lora_A.weight`` (``lora_b`` ⇄ ``lora_B``), for the seven projection modules;
- shapes: GGUF stores ``lora_a`` as (r, in) and ``lora_b`` as (out, r), which are peft's;
- the rotary permutation: the converter reorders the rows of the q and k projections (and so
  of their ``lora_b``) for llama.cpp's rope layout; :func:`unpermute` reverses it, with the
  base's head counts;
- ``adapter.lora.alpha`` (metadata) and the rank (the tensors' inner size).

:func:`read_gguf_lora` returns the state dict and the LoRA's shape; ``TrainingError`` names the
file when it is not a LoRA GGUF of a supported architecture or a tensor is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..server.errors import TrainingError

SUPPORTED_ARCHITECTURES = ("llama",)
# llama.cpp tensor name -> (Hugging Face module path under the layer, module name)
MODULES: dict[str, tuple[str, str]] = {
    "attn_q": ("self_attn", "q_proj"),
    "attn_k": ("self_attn", "k_proj"),
    "attn_v": ("self_attn", "v_proj"),
    "attn_output": ("self_attn", "o_proj"),
    "ffn_gate": ("mlp", "gate_proj"),
    "ffn_up": ("mlp", "up_proj"),
    "ffn_down": ("mlp", "down_proj"),
}
_NAME = re.compile(r"^blk\.(\d+)\.(\w+)\.weight\.lora_([ab])$")


@dataclass(frozen=True)
class LoraShape:
    """What a LoRA adapter is made of: its rank, scaling numerator and target modules."""

    r: int
    alpha: float
    target_modules: tuple[str, ...]


def unpermute(weights: Any, n_head: int) -> Any:
    """Inverse of llama.cpp's rope row permutation of a (rows, ...) tensor over ``n_head`` heads."""
    rows = weights.shape[0]
    return (weights.reshape(n_head, rows // n_head // 2, 2, *weights.shape[1:])
            .swapaxes(1, 2)
            .reshape(weights.shape))


def peft_key(layer: int, module: str, half: str) -> str:
    """peft's state-dict key for one LoRA matrix (``half``: ``a`` or ``b``)."""
    parent, name = MODULES[module]
    return f"base_model.model.model.layers.{layer}.{parent}.{name}.lora_{half.upper()}.weight"


def read_gguf_lora(path: Path, n_head: int, n_kv_head: int) -> tuple[dict[str, Any], LoraShape]:
    """(peft state dict of float32 tensors, LoRA shape) of the GGUF LoRA at ``path``.

    ``n_head`` / ``n_kv_head``: the base model's attention and key-value head counts (its
    ``config.json``), needed to undo the q/k row permutation."""
    import numpy as np
    import torch
    from gguf import GGUFReader

    try:
        reader = GGUFReader(str(path))
    except (OSError, ValueError) as exc:
        raise TrainingError(f"cannot read the LoRA adapter {path}: {exc}") from exc
    fields = {name: field.contents() for name, field in reader.fields.items()
              if name in ("general.type", "general.architecture", "adapter.type", "adapter.lora.alpha")}
    if fields.get("general.type") != "adapter" or fields.get("adapter.type") != "lora":
        raise TrainingError(f"{path} is not a LoRA adapter GGUF (general.type="
                            f"{fields.get('general.type')!r}, adapter.type={fields.get('adapter.type')!r})")
    architecture = fields.get("general.architecture")
    if architecture not in SUPPORTED_ARCHITECTURES:
        raise TrainingError(f"{path}: a LoRA for architecture {architecture!r}; only "
                            f"{', '.join(SUPPORTED_ARCHITECTURES)} adapters can be trained further")
    state: dict[str, Any] = {}
    ranks: set[int] = set()
    modules: set[str] = set()
    for tensor in reader.tensors:
        match = _NAME.match(tensor.name)
        if match is None or match.group(2) not in MODULES:
            raise TrainingError(f"{path}: unexpected tensor {tensor.name}")
        layer, module, half = int(match.group(1)), match.group(2), match.group(3)
        values = torch.from_numpy(np.array(tensor.data, dtype=np.float32))
        if values.ndim != 2:
            raise TrainingError(f"{path}: tensor {tensor.name} has shape {tuple(values.shape)}")
        if half == "b" and module in ("attn_q", "attn_k"):
            values = unpermute(values, n_head if module == "attn_q" else n_kv_head)
        ranks.add(int(values.shape[0] if half == "a" else values.shape[1]))
        modules.add(MODULES[module][1])
        state[peft_key(layer, module, half)] = values.contiguous()
    if len(ranks) != 1:
        raise TrainingError(f"{path}: LoRA matrices of different ranks {sorted(ranks)}")
    for key in list(state):
        other = key.replace("lora_A", "lora_B") if "lora_A" in key else key.replace("lora_B", "lora_A")
        if other not in state:
            raise TrainingError(f"{path}: {key} has no matching {other}")
    alpha = fields.get("adapter.lora.alpha")
    if alpha is None:
        raise TrainingError(f"{path}: no adapter.lora.alpha in its metadata")
    order = [name for _, name in MODULES.values()]
    targets = tuple(name for name in order if name in modules)
    return state, LoraShape(r=ranks.pop(), alpha=float(alpha), target_modules=targets)
