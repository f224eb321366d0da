"""Commands ``querywright.reloadSchema`` and ``querywright.schema`` (docs/protocol.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..commands import CommandRequest, command

if TYPE_CHECKING:
    from ..server import QuerywrightServer


@command("querywright.reloadSchema")
async def reload_schema(server: QuerywrightServer, request: CommandRequest) -> dict[str, Any]:
    tables = await server.reload_schema()
    return {"tables": tables}


@command("querywright.schema")
def schema(server: QuerywrightServer, request: CommandRequest) -> dict[str, Any]:
    return server.session.schema.catalog.to_json()


def register(server: QuerywrightServer) -> None:
    """Nothing to do: the decorators above registered the commands at import."""
