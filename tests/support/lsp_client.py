"""Starting a language-server session the way VS Code does, for the end-to-end tests.

The tests drive the real ``querywright lsp`` through a pytest-lsp ``LanguageClient``; each
fixture that makes one (``tests/lsp``, ``tests/faults``, the missing-driver and redaction
tests) calls :func:`initialize`: it records what the server sends the client (every
``querywright/status`` in ``client.statuses``, as dicts; every dynamic registration in
``client.registrations``), answers ``client/registerCapability``, and initialises the
session with VS Code's capabilities on one workspace folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

STATUS = "querywright/status"


def as_dict(params: Any) -> Any:
    """Custom notifications arrive as pygls ``Object`` named tuples: make them dicts."""
    return params._asdict() if hasattr(params, "_asdict") else params


async def initialize(client: LanguageClient, root: Path, options: dict[str, Any], *,
                     folder: str = "shop") -> None:  # fmt: skip
    """Record the server's statuses and registrations on ``client``, then ``initialize``
    (``options`` as initializationOptions) and ``initialized`` on the folder ``root``."""
    registrations: list[types.Registration] = []
    client.registrations = registrations  # type: ignore[attr-defined]
    statuses: list[dict[str, Any]] = []
    client.statuses = statuses  # type: ignore[attr-defined]

    @client.feature(STATUS)
    def status_received(params: Any) -> None:
        statuses.append(as_dict(params))

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=folder)],
            initialization_options=options,
        )
    )
