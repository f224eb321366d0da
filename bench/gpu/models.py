"""Prepare the base models of a throughput run as Hugging Face folders (run as a script).

    python bench/gpu/models.py smollm2 --gguf FILE --dest DIR     # real weights, dequantized
    python bench/gpu/models.py llama-1b --tokenizer DIR --dest DIR  # random init, Llama-3.2-1B shape
    python bench/gpu/models.py llama-8b --tokenizer DIR --dest DIR  # random init, Llama-3.1-8B shape

Random-init weights train at the same speed and memory as real ones of the same shape.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

SHAPES = {
    "llama-1b": {"hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
                 "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
                 "tie_word_embeddings": True, "rope_theta": 500000.0},
    "llama-8b": {"hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
                 "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
                 "tie_word_embeddings": False, "rope_theta": 500000.0},
}


def build_random(shape: str, tokenizer_dir: Path, dest: Path, tokenizer_vocab: bool = False) -> None:
    """``tokenizer_vocab``: embedding rows for the tokenizer's tokens only. llama.cpp refuses a
    GGUF whose vocabulary (these tokens, padded) is far smaller than the embedding, so a model
    that is to be served takes its vocabulary size from the tokenizer it is given."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    shape_args = dict(SHAPES[shape])
    if tokenizer_vocab:
        shape_args["vocab_size"] = len(tokenizer)
    config = LlamaConfig(max_position_embeddings=8192, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, **shape_args)
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(dest, max_shard_size="20GB")
    tokenizer.save_pretrained(dest)
    from querywright.trainer.backends import TOKENIZER_SOURCE

    if (tokenizer_dir / TOKENIZER_SOURCE).is_file():  # the tokenizer was rebuilt from a GGUF
        shutil.copy(tokenizer_dir / TOKENIZER_SOURCE, dest / TOKENIZER_SOURCE)


def convert_gguf(gguf: Path, dest: Path) -> None:
    from querywright.trainer.backends import materialize_gguf

    folder = materialize_gguf(gguf, cache=dest.parent / "gguf-cache")
    shutil.copytree(folder, dest)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", choices=["smollm2", *SHAPES])
    parser.add_argument("--dest", type=Path, required=True)
    parser.add_argument("--gguf", type=Path)
    parser.add_argument("--tokenizer", type=Path)
    parser.add_argument("--tokenizer-vocab", action="store_true",
                        help="as many embedding rows as the tokenizer has tokens (to serve the GGUF)")
    args = parser.parse_args()
    if (args.dest / "config.json").is_file():
        return
    started = time.monotonic()
    if args.model == "smollm2":
        convert_gguf(args.gguf, args.dest)
    else:
        build_random(args.model, args.tokenizer, args.dest, args.tokenizer_vocab)
    print(f"prepared {args.model} in {time.monotonic() - started:.1f}s at {args.dest}")


if __name__ == "__main__":
    main()
