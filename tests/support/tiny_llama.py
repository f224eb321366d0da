"""Tiny random-weight llamas for the training and export tests (CPU, seconds, no download).

:func:`save_tiny_llama` writes the model both test tokenizers get (2 layers, hidden size
32, seed 0) into a Hugging Face folder; :func:`nonzero_lora` puts a LoRA on such a model
whose B matrices are random, so that the adapter changes the output (a fresh LoRA's B is
zero). torch, transformers and peft are imported inside, as the ``train`` extra has them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def save_tiny_llama(folder: Path, vocab_size: int) -> None:
    """A random-init 2-layer llama (seed 0; ids: bos 1, eos 2, pad 3) saved in ``folder``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=256, bos_token_id=1, eos_token_id=2,
                         pad_token_id=3, tie_word_embeddings=True)  # fmt: skip
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)


def nonzero_lora(base: Path, seed: int) -> Any:
    """A peft model: a LoRA (r=4, alpha 8, q/v only) on ``base`` with B ~ N(0, 0.5) drawn
    after ``torch.manual_seed(seed)``."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = get_peft_model(AutoModelForCausalLM.from_pretrained(base),
                           LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                      task_type="CAUSAL_LM"))  # fmt: skip
    torch.manual_seed(seed)
    for name, param in model.named_parameters():
        if "lora_B" in name:
            param.data.normal_(0, 0.5)
    return model
