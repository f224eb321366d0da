"""The registry of ``workspace/executeCommand`` commands.

Any module adds a command with the decorator; ``server.create_server`` installs every
registered command after importing the feature modules::

    from ..commands import CommandRequest, command

    @command("querywright.listModels")
    async def list_models(server: QuerywrightServer, request: CommandRequest) -> list[dict]:
        ...

A handler gets the server and a ``CommandRequest`` (the raw ``arguments`` and the
client's ``work_done_token``), may be sync or async, and returns a JSON-able result.
Failures are answered as JSON-RPC errors carrying the message (see ``boundary``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from .boundary import guarded

if TYPE_CHECKING:
    from .server import QuerywrightServer


@dataclass(frozen=True)
class CommandRequest:
    arguments: tuple[Any, ...] = ()
    work_done_token: types.ProgressToken | None = None

    def options(self, position: int = 0) -> dict[str, Any]:
        """The argument at ``position`` when it is an object, else ``{}``."""
        if position < len(self.arguments) and isinstance(self.arguments[position], dict):
            return self.arguments[position]
        return {}


CommandHandler = Callable[["QuerywrightServer", CommandRequest], Any]
_COMMANDS: dict[str, CommandHandler] = {}


def command(name: str) -> Callable[[CommandHandler], CommandHandler]:
    """Register ``name``; a second registration of the same name is a programming error."""

    def register(handler: CommandHandler) -> CommandHandler:
        if name in _COMMANDS and _COMMANDS[name] is not handler:
            raise ValueError(f"command {name} is registered twice")
        _COMMANDS[name] = handler
        return handler

    return register


def registered() -> dict[str, CommandHandler]:
    return dict(_COMMANDS)


def install(server: QuerywrightServer) -> None:
    """Expose every registered command to the client (advertised in capabilities)."""
    for name, handler in _COMMANDS.items():
        server.command(name)(_bind(server, name, handler))


def _bind(server: QuerywrightServer, name: str, handler: CommandHandler) -> Callable[[CommandRequest], Any]:
    @guarded(server, name, rpc_error=True)
    async def run(request: CommandRequest) -> Any:
        result = handler(server, request)
        if inspect.isawaitable(result):
            result = await result
        return result

    return run
