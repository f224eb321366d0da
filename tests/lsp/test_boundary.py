"""The handler boundary: our failures are logged to the client and answered empty;
commands answer a JSON-RPC error; protocol errors pass through."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams
from querywright.server.errors import CatalogError
from querywright.server.lsp.boundary import guarded


class RecordingServer:
    """Stands in for the pygls server: records window/logMessage."""

    def __init__(self) -> None:
        self.logged: list[types.LogMessageParams] = []

    def window_log_message(self, params: types.LogMessageParams) -> None:
        self.logged.append(params)


def test_unexpected_exception_is_logged_and_answered_empty() -> None:
    server = RecordingServer()

    @guarded(server, "hover", empty=[])  # type: ignore[arg-type]
    def handler() -> list[int]:
        raise KeyError("boom")

    assert handler() == []
    [entry] = server.logged
    assert entry.type == types.MessageType.Error
    assert entry.message.startswith("hover failed: KeyError: 'boom'") and "Traceback" in entry.message


async def test_own_error_in_async_handler_is_a_warning() -> None:
    server = RecordingServer()

    @guarded(server, "reload")  # type: ignore[arg-type]
    async def handler() -> int:
        raise CatalogError("schema folder is gone")

    assert await handler() is None
    assert [(e.type, e.message) for e in server.logged] == [(types.MessageType.Warning, "reload: schema folder is gone")]


async def test_command_failure_is_a_json_rpc_error() -> None:
    server = RecordingServer()

    @guarded(server, "querywright.schema", rpc_error=True)  # type: ignore[arg-type]
    async def handler() -> int:
        raise CatalogError("no schema")

    with pytest.raises(JsonRpcInternalError, match="querywright.schema: no schema"):
        await handler()


def test_protocol_errors_pass_through() -> None:
    server = RecordingServer()

    @guarded(server, "x")  # type: ignore[arg-type]
    def handler() -> None:
        raise JsonRpcInvalidParams("bad")

    with pytest.raises(JsonRpcInvalidParams):
        handler()
    assert server.logged == []


def test_failure_quoting_a_database_url_is_logged_with_its_password_masked() -> None:
    server = RecordingServer()

    @guarded(server, "reload", rpc_error=True)  # type: ignore[arg-type]
    def handler() -> None:
        raise RuntimeError("cannot connect to postgresql://ro:s3cret-pw@db.example/app")

    with pytest.raises(JsonRpcInternalError) as raised:
        handler()
    [entry] = server.logged
    assert "s3cret-pw" not in entry.message and "ro:***@db.example" in entry.message
    assert "s3cret-pw" not in str(raised.value)
