"""Fixtures for training tests: a tiny random-weight llama and small text-to-SQL data files.

The tiny model is built from a config (2 layers, hidden size 32) with a byte-level BPE
tokenizer trained here on the fixture SQL, so mechanics tests run in seconds with no download.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..support.tiny_llama import save_tiny_llama

PAIRS = [
    ("-- list every customer\n", "SELECT id, name FROM customers;"),
    ("-- count orders per customer\n",
     "SELECT customer_id, COUNT(*) FROM orders GROUP BY customer_id;"),
    ("-- orders above 100\n", "SELECT id FROM orders WHERE total > 100;"),
    ("-- names of customers in Paris\n", "SELECT name FROM customers WHERE city = 'Paris';"),
    ("-- latest order\n", "SELECT id FROM orders ORDER BY created_at DESC LIMIT 1;"),
    ("-- total revenue\n", "SELECT SUM(total) FROM orders;"),
]
SCHEMA = "CREATE TABLE customers (id INT, name TEXT, city TEXT);\n" \
         "CREATE TABLE orders (id INT, customer_id INT, total REAL, created_at TEXT);\n"


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Hugging Face folder with a random-init 2-layer llama and its tokenizer."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    torch.set_num_threads(1)  # two shared cores: tiny matrices gain nothing from threads
    folder = tmp_path_factory.mktemp("tiny-llama")
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    corpus = [SCHEMA] + [p + c for p, c in PAIRS] * 4
    bpe.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<unk>", "<s>", "</s>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>",
                                        unk_token="<unk>", pad_token="<pad>")
    tokenizer.save_pretrained(folder)
    save_tiny_llama(folder, len(tokenizer))
    return folder


@pytest.fixture()
def pairs_file(tmp_path: Path) -> Path:
    """JSON lines of formatted {"prompt", "completion"} pairs."""
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps({"prompt": SCHEMA + p, "completion": c}) + "\n"
                            for p, c in PAIRS))
    return path
