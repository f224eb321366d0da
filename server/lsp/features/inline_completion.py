"""``textDocument/inlineCompletion`` (LSP 3.18), comment -> SQL, and the model commands.

Thin glue over ``ai.structural``, ``ai.suggest`` / ``ai.host``:

- a structural continuation (``ai.structural``: FK join condition, GROUP BY items, ...)
  is answered at once, without the debounce or the model; the model is asked only where
  there is none, so these positions work without a model or with its backend down;

- registered *with* ``InlineCompletionOptions`` (pygls 2.1.1 advertises the provider
  only then); items carry ``range=Range(cursor, cursor)`` so the editor shows ghost text
  instead of replacing the word; a cursor past the end of the document is clamped;
- ``$/cancelRequest`` cancels the handler's task, which sets the ``asyncio.Event`` the
  backend watches (generation stops at the next token); a result for a document version
  that changed meanwhile is dropped;
- ``querywright/status`` follows the backend (ready / loading / offline / disabled) and
  says when the model had no valid suggestion;
- commands ``querywright.generateFromComment``, ``querywright.listModels``,
  ``querywright.setModel`` (docs/protocol.md);
- the model is warmed up (loaded, the schema part of the prompt evaluated) in the
  background once a query document is open and again after the schema changes, so the
  first keystroke does not pay for it; without an open query document, on first use. An
  inline request waits for what it needs of a running warm-up (``ai.host.readiness``: a
  question comment the model loaded, a keystroke the schema prefix too) at most the
  inline timeout, then answers an empty list and says in the status that the model is
  still loading (a hung backend's warm-up, which has the commands' longer timeout, never
  holds keystrokes up). ``generateFromComment`` waits for the model loaded.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ...ai.ask import ask
from ...ai.completer import BackendState
from ...ai.context import comment_question
from ...ai.host import ModelHost, Readiness, readiness
from ...ai.structural import continuation
from ...errors import ModelError
from ..boundary import guarded
from ..commands import CommandRequest, command
from ..convert import Positions

if TYPE_CHECKING:
    from ..server import QuerywrightServer

log = logging.getLogger(__name__)

COMMENT_SAMPLES = 3


class _Warm:
    """Loads the model and evaluates the workspace's schema prefix, once per model and
    schema: as soon as a query document is open (its first keystroke then finds the model
    ready), else on first use. Concurrent callers share one run; a run for a newer schema
    waits for the one before it. A question comment waits only for the model loaded
    (``ai.host.readiness``): once a run has loaded the model, no later run for the same
    model holds questions up."""

    def __init__(self) -> None:
        self.task: asyncio.Task[None] | None = None
        self.key: tuple[int, int] | None = None
        self.loading: asyncio.Future[bool] | None = None  # the latest run's load step
        self.loaded: int | None = None  # id of the completer a run has loaded

    def start(self, server: QuerywrightServer, host: ModelHost) -> asyncio.Task[None]:
        key = (id(host.completer), server.session.generation)
        if self.task is None or self.key != key:
            previous, catalog = self.task, server.session.schema.catalog
            loading: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            completer = id(host.completer)

            def settle(ok: bool) -> None:
                if not loading.done():
                    loading.set_result(ok)
                if ok:
                    self.loaded = completer

            async def run() -> None:
                try:
                    if previous is not None and not previous.done():
                        await asyncio.wait({previous})
                    ok = await host.load()
                    settle(ok)
                    if ok:
                        await host.prime(catalog)
                except Exception:  # a background warm-up must never be fatal
                    log.exception("warming the model up failed")
                finally:
                    settle(False)

            self.key, self.loading = key, loading
            self.task = asyncio.get_running_loop().create_task(run())
        return self.task

    def _step(self, server: QuerywrightServer, host: ModelHost, needs: Readiness) -> asyncio.Future[Any]:
        """What a request needing ``needs`` waits for (a done future: nothing)."""
        task = self.start(server, host)
        if needs is Readiness.PRIMED:
            return task
        assert self.loading is not None
        if self.loaded == id(host.completer) and not self.loading.done():
            done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            done.set_result(True)  # loaded by an earlier run; this one only primes
            return done
        return self.loading

    async def ensure(self, server: QuerywrightServer, host: ModelHost, needs: Readiness = Readiness.PRIMED) -> None:
        await asyncio.shield(self._step(server, host, needs))

    async def ready(self, server: QuerywrightServer, host: ModelHost, timeout_s: float,
                    needs: Readiness = Readiness.PRIMED) -> bool:  # fmt: skip
        """Whether the part of the warm-up a request ``needs`` is done, waiting for it at
        most ``timeout_s``; a warm-up still running then goes on in the background (a
        request never waits on a model that is slow to load or hung for longer than its
        own timeout)."""
        step = self._step(server, host, needs)
        done, _ = await asyncio.wait({step}, timeout=timeout_s)  # never cancels the step
        return bool(done)


_HOSTS: dict[int, tuple[ModelHost, _Warm]] = {}


def host_of(server: QuerywrightServer) -> ModelHost:
    """The server's model host (created by ``register``)."""
    return _HOSTS[id(server)][0]


def register(server: QuerywrightServer) -> None:
    def on_state(state: BackendState, message: str) -> None:
        server.backend_status.backend = state.value
        server.backend_status.model = host.serving
        server.backend_status.message = message
        server.send_status()

    host = ModelHost(on_state)
    warm = _Warm()
    _HOSTS[id(server)] = (host, warm)

    def configure() -> None:
        if server.session.loaded:
            host.configure(server.session.config, server.session.root)
            host.service.clear_cache()
            for uri in list(server.session.documents):
                warm_for(uri)

    def warm_for(uri: str) -> None:
        """Warm up in the background when ``uri`` is a query document of a loaded
        workspace and suggestions are on."""
        session = server.session
        if not session.loaded or host.completer is None or not session.config.inline.enabled:
            return
        if uri in session.documents and not session.is_schema_document(uri):
            warm.start(server, host)

    server.events.catalog_changed.connect(configure)
    server.events.config_changed.connect(configure)
    server.events.document_opened.connect(warm_for)

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    @guarded(server, "inlineCompletion")
    async def inline_completion(params: types.InlineCompletionParams) -> types.InlineCompletionList | None:
        uri = params.text_document.uri
        snapshot = server.snapshot(uri)
        if snapshot is None or snapshot.is_schema or not snapshot.config.inline.enabled:
            return None
        positions = Positions(snapshot.index, server.utf16)
        offset = positions.offset(params.position)
        cursor = positions.to_lsp(snapshot.index.position(offset))  # clamped into the document
        certain = continuation(snapshot.text, offset, snapshot.catalog, snapshot.statement_list)
        if certain is not None:  # structural: at once, no debounce, no model
            return types.InlineCompletionList(items=[types.InlineCompletionItem(insert_text=certain, range=types.Range(cursor, cursor))])
        if host.completer is None:
            return None
        cancel = asyncio.Event()

        def is_current() -> bool:
            document = server.session.documents.get(uri)
            return document is not None and document.version == snapshot.version

        try:
            bound = snapshot.config.inline.timeout_ms / 1000.0
            needs = readiness(snapshot.text, offset, snapshot.catalog.dialect, snapshot.statement_list, snapshot.index)
            with host.busy(needs):  # a question, from its wait for the model on: the warm-up gives way
                if not await warm.ready(server, host, bound, needs):
                    # still loading: answer now, the warm-up goes on; the editor asks again
                    server.send_status(f"{host.serving} did not answer within {bound:g} s while loading; "
                                       "suggestions start once it is ready")
                    return types.InlineCompletionList(items=[])
                automatic = params.context.trigger_kind == types.InlineCompletionTriggerKind.Automatic
                result = await host.service.suggest(
                    uri, snapshot.text, offset, snapshot.catalog, cancel=cancel, is_current=is_current,
                    statements=snapshot.statement_list, index=snapshot.index, debounce=automatic,
                    values=snapshot.values,
                )  # fmt: skip
        except asyncio.CancelledError:
            cancel.set()  # $/cancelRequest: stop generation at the next token
            raise
        if result.status in ("no-valid", "offline") or (not result.items and not automatic):
            # asked for explicitly: say why nothing came (automatic requests stay quiet
            # unless the model failed, so typing in a blank area sends nothing)
            server.send_status(result.message or f"no suggestion ({result.status})")
        items = [
            types.InlineCompletionItem(insert_text=item.text, range=types.Range(cursor, cursor))
            for item in result.items
        ]
        return types.InlineCompletionList(items=items)


KIND_GENERATE = "refactor.querywright.generateFromComment"


def comment_code_action(uri: str, positions: Positions, requested: types.Range) -> types.CodeAction | None:
    """The "Generate SQL from comment" code action for a ``--`` comment line in
    ``requested`` (runs ``querywright.generateFromComment``); for the code-action feature
    to add to its list."""
    line = requested.start.line
    if comment_question(positions.index, line) is None:
        return None
    arguments = [{"uri": uri, "line": line}]
    run = types.Command(title="Generate SQL from comment", command="querywright.generateFromComment", arguments=arguments)
    return types.CodeAction(title="Generate SQL from comment", kind=KIND_GENERATE, command=run)


@command("querywright.generateFromComment")
async def generate_from_comment(server: QuerywrightServer, request: CommandRequest) -> dict[str, Any]:
    host, warm = _HOSTS[id(server)]
    options = request.options()
    uri = str(options.get("uri", ""))
    line = int(options.get("line", -1))
    snapshot = server.snapshot(uri)
    if snapshot is None:
        return {"sql": None, "message": f"document {uri} is not open"}
    question = comment_question(snapshot.index, line)
    if question is None:
        return {"sql": None, "message": f"line {line + 1} is not a -- comment"}
    if host.completer is None:
        return {"sql": None, "message": host.message or "no model is configured"}
    try:
        with host.busy(Readiness.LOADED):
            await warm.ensure(server, host, Readiness.LOADED)  # a question: the model loaded is enough
            answer = await ask(
                question, snapshot.catalog, host.command_completer or host.completer,
                values=snapshot.values, samples=COMMENT_SAMPLES, grammar=snapshot.config.inline.grammar,
            )  # fmt: skip
    except ModelError as exc:
        return {"sql": None, "message": str(exc)}
    if answer.sql is None:
        message = f"no valid SQL for this comment ({answer.candidates} candidates: {'; '.join(answer.issues)})"
        server.send_status(message)
        return {"sql": None, "message": message}
    sql = answer.sql.rstrip() + ";"
    at = types.Position(line + 1, 0)
    if line + 1 >= snapshot.index.line_count:  # the comment is the last line
        at = types.Position(line, Positions(snapshot.index, server.utf16).to_lsp_length(line))
        text = "\n" + sql
    else:
        text = sql + "\n"
    edit = types.WorkspaceEdit(changes={uri: [types.TextEdit(range=types.Range(at, at), new_text=text)]})
    await server.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label="Generate SQL from comment"))
    return {"sql": sql, "message": f"generated by {answer.model} in {answer.latency_ms:.0f} ms"}

@command("querywright.listModels")
async def list_models(server: QuerywrightServer, request: CommandRequest) -> list[dict[str, Any]]:
    host = host_of(server)
    return await host.available()

@command("querywright.setModel")
async def set_model(server: QuerywrightServer, request: CommandRequest) -> dict[str, Any]:
    host = host_of(server)
    ref = str(request.options().get("ref", "")).strip()
    if not ref:
        raise ModelError("setModel needs {\"ref\": MODEL_REFERENCE}")
    host.set_model(ref)
    if host.completer is None:
        raise ModelError(host.message)
    return {"model": ref}
