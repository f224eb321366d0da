"""The stand-in Ollama server speaks the documented API that the trainer's export and the
backend rely on (checked with the real ``ollama`` client over HTTP): blobs, create, show,
tags, chat, version, and pull answering that no registry is reachable."""

from __future__ import annotations

from pathlib import Path

import httpx
import ollama
import pytest

from ..support.fake_ollama import FakeOllama

pytestmark = pytest.mark.model


def test_blobs_create_show_and_generate(fake_ollama: FakeOllama, smollm2_gguf: Path) -> None:
    client = ollama.Client(host=fake_ollama.url)
    digest = client.create_blob(smollm2_gguf)  # HEAD (absent) then POST
    assert digest.startswith("sha256:")
    assert httpx.head(f"{fake_ollama.url}/api/blobs/{digest}").status_code == 200
    assert httpx.head(f"{fake_ollama.url}/api/blobs/sha256:{'0' * 64}").status_code == 404
    statuses = [p.status for p in client.create(model="shop-sql", files={"model.gguf": digest},
                                                 template="{{ .Prompt }}", stream=True)]  # fmt: skip
    assert statuses[-1] == "success"
    assert "shop-sql:latest" in {m.model for m in client.list().models}
    assert client.show("shop-sql").template == "{{ .Prompt }}"
    answer = client.generate(model="shop-sql", prompt="SELECT id FROM", raw=True,
                             options={"num_predict": 4, "temperature": 0})  # fmt: skip
    assert answer.done and answer.response and answer.eval_count


def test_create_from_missing_blob_fails(fake_ollama: FakeOllama) -> None:
    client = ollama.Client(host=fake_ollama.url)
    with pytest.raises(ollama.ResponseError, match="not found"):
        client.create(model="x", files={"m.gguf": f"sha256:{'1' * 64}"})


def test_chat_version_and_pull(fake_ollama: FakeOllama) -> None:
    client = ollama.Client(host=fake_ollama.url)
    reply = client.chat(model="smollm2", messages=[{"role": "user", "content": "Say hi."}],
                        options={"num_predict": 8, "temperature": 0})  # fmt: skip
    assert reply.message.role == "assistant" and reply.message.content
    assert httpx.get(f"{fake_ollama.url}/api/version").json()["version"]
    with pytest.raises(ollama.ResponseError, match="not reachable"):
        client.pull("llama3")
