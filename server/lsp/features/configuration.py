"""Settings: ``initialize`` options, ``initialized`` (first schema load, file watchers),
``workspace/didChangeConfiguration`` (pull section ``querywright`` and re-validate)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from ...config import TRUSTED_KEY
from ..boundary import guarded
from ..session import CONFIG_FILES, uri_to_path

if TYPE_CHECKING:
    from ..server import QuerywrightServer

SECTION = "querywright"
WATCHED_GLOBS = ("**/*.sql", *(f"**/{name}" for name in CONFIG_FILES))


def _root(params: types.InitializeParams) -> Path | None:
    if params.workspace_folders:
        return uri_to_path(params.workspace_folders[0].uri)
    if params.root_uri:
        return uri_to_path(params.root_uri)
    return Path(params.root_path) if params.root_path else None


def _settings(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        inner = value.get(SECTION)
        return inner if isinstance(inner, dict) else value
    return {}


def _trust(settings: dict[str, Any], trusted: bool) -> dict[str, Any]:
    """Settings with the workspace-trust flag given at ``initialize`` (pulled settings lack it)."""
    return {**settings, TRUSTED_KEY: trusted}


def register(server: QuerywrightServer) -> None:
    trust = {"trusted": False}  # what the client said at initialize; absent = untrusted

    @server.feature(types.INITIALIZE)
    @guarded(server, "initialize")
    def initialize(params: types.InitializeParams) -> None:
        settings = _settings(params.initialization_options)
        trust["trusted"] = settings.get(TRUSTED_KEY) is True
        server.session.configure(_root(params), _trust(settings, trust["trusted"]))

    @server.feature(types.INITIALIZED)
    @guarded(server, "initialized")
    async def initialized(params: types.InitializedParams) -> None:
        server.show_problems(server.session.problems)
        await _watch_files(server)
        await server.reload_schema()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @guarded(server, "didChangeConfiguration")
    async def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        settings = _settings(params.settings)
        workspace = server.client_capabilities.workspace
        if workspace is not None and workspace.configuration:
            try:
                pulled = await server.workspace_configuration_async(types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)]))
            except JsonRpcException as exc:
                server.log(f"workspace/configuration failed: {exc}", types.MessageType.Warning)
            else:
                if pulled and isinstance(pulled[0], dict):
                    settings = pulled[0]
        await server.reconfigure(_trust(settings, trust["trusted"]))

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    @guarded(server, "didChangeWorkspaceFolders")
    async def did_change_workspace_folders(params: types.DidChangeWorkspaceFoldersParams) -> None:
        """The first workspace folder is the schema's root; follow it when it changes."""
        folders = list(server.workspace.folders.values())
        root = uri_to_path(folders[0].uri) if folders else None
        current = server.session.root
        if (root.resolve() if root else None) == current:
            return
        server.session.configure(root, server.session.editor_settings)
        server.show_problems(server.session.problems)
        await server.reload_schema()


async def _watch_files(server: QuerywrightServer) -> None:
    """Ask the client to report changes of SQL and config files on disk."""
    workspace = server.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace is not None else None
    if watched is None or not watched.dynamic_registration:
        return
    options = types.DidChangeWatchedFilesRegistrationOptions(watchers=[types.FileSystemWatcher(glob_pattern=g) for g in WATCHED_GLOBS])
    registration = types.Registration(id=str(uuid.uuid4()), method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options)
    try:
        await server.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
    except JsonRpcException as exc:
        server.log(f"cannot watch files: {exc}", types.MessageType.Warning)
