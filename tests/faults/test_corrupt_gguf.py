"""Corrupt and truncated GGUF files given as the model: ``querywright ask --model PATH``
says so in one line (exit 2, no traceback, no crash of the in-process llama.cpp), and the
language server configured with such a file stays up: its status names the file, and
completion, hover and a second inline request still answer.

The damaged files are made here: the real SmolLM2 GGUF cut inside its header (100 bytes),
inside its key-value metadata (3,000 bytes) and after the header (5 MB: tensors missing);
the GGUF magic followed by (seeded) random bytes; a header claiming 2^62 tensors; garbage text;
an empty file.
"""

from __future__ import annotations

import asyncio
import random
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from ..lsp.conftest import TIMEOUT_S, open_document
from .conftest import assert_one_clear_error, run_cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"


def _prefix(size: int) -> Callable[[Path], bytes]:
    def cut(real: Path) -> bytes:
        with real.open("rb") as handle:
            return handle.read(size)
    return cut


DAMAGE: dict[str, Callable[[Path], bytes]] = {
    "header-cut": _prefix(100),
    "metadata-cut": _prefix(3_000),
    "tensors-missing": _prefix(5_000_000),
    "magic-then-noise": lambda _real: b"GGUF" + struct.pack("<I", 3) + random.Random(7).randbytes(4096),
    "absurd-counts": lambda _real: b"GGUF" + struct.pack("<IQQ", 3, 2**62, 2**62) + bytes(64),
    "garbage": lambda _real: b"these are not the weights you are looking for\n" * 20,
    "empty": lambda _real: b"",
}
# what the one error line says: the magic check, or llama.cpp's refusal to load
NOT_GGUF = "is not a GGUF model file"
NOT_LOADED = "corrupt or unsupported GGUF"


def damaged(kind: str, real: Path, folder: Path) -> Path:
    path = folder / f"{kind}.gguf"
    path.write_bytes(DAMAGE[kind](real))
    return path


@pytest.mark.parametrize("kind", DAMAGE)
def test_ask_with_a_damaged_gguf_is_one_clear_error(kind: str, smollm2_gguf: Path,
                                                    tmp_path: Path, qw_home: Path) -> None:
    model = damaged(kind, smollm2_gguf, tmp_path)
    done = run_cli(["ask", "--workspace", str(EXAMPLE), "--model", str(model), "--samples", "1",
                    "how many users are there"], qw_home)
    line = assert_one_clear_error(done, model.name)
    assert (NOT_GGUF if kind in ("garbage", "empty") else NOT_LOADED) in line, line
    assert done.returncode == 2 and done.stdout == ""


@pytest.fixture
def broken_model(smollm2_gguf: Path, tmp_path: Path) -> Path:
    return damaged("tensors-missing", smollm2_gguf, tmp_path)


@pytest.fixture
def init_options(broken_model: Path) -> dict[str, Any]:
    return {"dialect": "postgres", "model": str(broken_model),
            "inline": {"debounce_ms": 0, "timeout_ms": 5000}}


def _doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def test_language_server_survives_a_damaged_gguf(lsp_client: LanguageClient,
                                                       workspace: Path, broken_model: Path) -> None:
    text = "SELECT u.email FROM users u;\nSELECT \n"
    uri = open_document(lsp_client, workspace / "queries" / "q.sql", text)
    context = types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)
    params = types.InlineCompletionParams(context=context, text_document=_doc(uri),
                                          position=types.Position(1, 7))
    for _ in range(2):  # the first loads (and fails), the second finds the engine refused
        result = await asyncio.wait_for(lsp_client.text_document_inline_completion_async(params),
                                        TIMEOUT_S)
        assert result is None or list(result.items) == []
    statuses = [s["message"] for s in lsp_client.statuses]  # type: ignore[attr-defined]
    assert any(broken_model.name in s and NOT_LOADED in s for s in statuses), statuses
    hover = await lsp_client.text_document_hover_async(
        types.HoverParams(text_document=_doc(uri), position=types.Position(0, 22)))
    assert hover is not None and "users" in hover.contents.value  # type: ignore[union-attr]
    completion = await lsp_client.text_document_completion_async(
        types.CompletionParams(text_document=_doc(uri), position=types.Position(0, 9)))
    items = completion.items if isinstance(completion, types.CompletionList) else completion
    assert "email" in {item.label for item in items or []}
    assert [m.message for m in lsp_client.log_messages if m.type == types.MessageType.Error] == []
