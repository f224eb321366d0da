"""The querywright language server: creates the server and registers the feature modules.

Each module in ``FEATURES`` (``server/lsp/features/<name>.py``) exposes
``register(server)`` and handles one LSP method or feature; add a feature by adding its
module name here. Commands are registered by modules with ``@command`` (see
``commands``) and installed after every feature module is imported.
"""

from __future__ import annotations

import asyncio
import copy
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from .. import __version__
from ..errors import CatalogError
from ..redact import mask_text
from ..sql.workspace import SchemaIndex
from . import commands
from .commands import CommandRequest
from .events import Debouncer, Events
from .session import Session, Snapshot

STATUS_NOTIFICATION = "querywright/status"

# Feature modules under server/lsp/features, registered in this order.
FEATURES: tuple[str, ...] = (
    "configuration",
    "sync",
    "watched_files",
    "diagnostics",
    "hover",
    "completion",
    "definition",
    "references",
    "code_actions",
    "formatting",
    "symbols",
    "semantic_tokens",
    "workspace_symbols",
    "commands",
    "inline_completion",
    "finetune",
    "heap",
)


@dataclass
class BackendStatus:
    """The model side of ``querywright/status``; the AI layer updates it."""

    backend: str = "disabled"  # "ready" | "loading" | "offline" | "disabled"
    model: str | None = None  # None: the configured model
    message: str = ""


class QuerywrightProtocol(LanguageServerProtocol):
    """Passes command handlers a ``CommandRequest`` (arguments and work-done token), and
    the ``didChange`` handler the changes as the client sent them."""

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):  # type: ignore[no-untyped-def]
        # pygls' document model rewrites a change's position in place when its character
        # lies past the end of the line (to the line's last character, not its end): its
        # copy of the document gets a copy of the changes; the session applies the originals.
        for change in params.content_changes:
            self.workspace.update_text_document(params.text_document, copy.deepcopy(change))
        handler = self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)
        if handler is not None:
            yield handler, (params,), None

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(self, params: types.ExecuteCommandParams):  # type: ignore[no-untyped-def]
        handler = self.fm.commands.get(params.command)
        if handler is None:
            raise JsonRpcInvalidParams(f"unknown command {params.command!r}")
        request = CommandRequest(tuple(params.arguments or ()), params.work_done_token)
        result = yield handler, (request,), None
        return result


class QuerywrightServer(LanguageServer):
    """pygls server plus the session, the feature signals and the status."""

    def __init__(self) -> None:
        super().__init__("querywright", __version__, protocol_cls=QuerywrightProtocol, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.session = Session()
        self.events = Events()
        self.debouncer = Debouncer()
        self.backend_status = BackendStatus()
        self._last_status: dict[str, Any] | None = None

    # ------------------------------------------------------------------ helpers
    @property
    def utf16(self) -> bool:
        """Whether positions count UTF-16 code units (the LSP default) rather than code points."""
        return self.workspace.position_encoding not in (types.PositionEncodingKind.Utf32, "utf-32")

    def snapshot(self, uri: str) -> Snapshot | None:
        return self.session.snapshot(uri)

    def log(self, message: str, level: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=level, message=mask_text(message)))

    def status(self, message: str = "") -> dict[str, Any]:
        session = self.session
        return {
            "model": self.backend_status.model or session.config.model,
            "backend": self.backend_status.backend,
            "tables": len(session.schema.catalog) if session.loaded else 0,
            "message": mask_text(message or self.backend_status.message),
        }

    def send_status(self, message: str = "") -> None:
        """Send ``querywright/status`` (see docs/protocol.md), unless it would repeat the
        last one word for word (a reload often changes nothing the client shows)."""
        status = self.status(message)
        if status == self._last_status:
            return
        self._last_status = status
        self.protocol.notify(STATUS_NOTIFICATION, status)

    # ------------------------------------------------------------------ workspace
    def show_problems(self, problems: list[Any]) -> None:
        if problems:
            text = "querywright: invalid settings, defaults used: " + "; ".join(str(p) for p in problems)
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=mask_text(text)))

    async def reload_schema(self) -> int:
        """Rebuild the catalog from disk (in a worker thread), then tell every listener.

        A schema source that cannot be read at all (``CatalogError``: an unusable
        ``database_url``, say) leaves an empty catalog, shown to the user and in the status."""
        message = ""
        try:
            index = await asyncio.to_thread(self.session.build_schema)
        except CatalogError as exc:
            message = f"cannot load the schema: {exc}"
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=mask_text(f"querywright: {message}")))
            index = SchemaIndex(root=self.session.root or Path("."), config=self.session.config)
        catalog = self.session.install_schema(index)
        self.events.catalog_changed.emit()
        self.send_status(message)
        return len(catalog)

    async def reconfigure(self, settings: dict[str, Any] | None = None) -> None:
        """Re-resolve the configuration (editor settings + workspace file)."""
        session = self.session
        rebuild, problems = session.configure(session.root, session.editor_settings if settings is None else settings)
        self.show_problems(problems)
        self.events.config_changed.emit()
        if rebuild:
            await self.reload_schema()
        else:
            self.send_status()


def create_server(features: tuple[str, ...] = FEATURES) -> QuerywrightServer:
    server = QuerywrightServer()
    for name in features:
        module = importlib.import_module(f"{__package__}.features.{name}")
        module.register(server)
    commands.install(server)
    return server
