"""Thin pygls glue over the pure core: one module per LSP feature.

How the pieces fit (and how to add one):

- ``server.py``: ``create_server()`` builds a ``QuerywrightServer`` and calls
  ``register(server)`` of every module named in ``FEATURES`` (``features/<name>.py``); add a
  feature by adding a module and its name there. Then every ``@command`` is installed.
- ``commands.py``: ``@command("querywright.x")`` registers a ``workspace/executeCommand``
  handler ``(server, CommandRequest) -> JSON-able`` (sync or async) from any module; the
  ``CommandRequest`` carries ``arguments`` and the client's ``work_done_token``.
- ``session.py``: ``server.session`` (mutable: documents, config, ``SchemaIndex``,
  ``generation``) and ``server.snapshot(uri) -> Snapshot | None`` (immutable: ``text``,
  ``version``, ``index: TextIndex``, ``statements``, ``catalog``, ``generation``, ``config``,
  ``root``, ``rel``, ``is_schema``). Requests run on a snapshot; long work compares
  ``snapshot.version`` with ``server.session.documents[uri].version`` before answering.
- ``events.py``: ``server.events`` signals (``document_opened/changed/saved/closed(uri)``,
  ``catalog_changed()``, ``config_changed()``) and ``server.debouncer.call(key, delay, job)``.
- ``convert.py``: ``Positions(snapshot.index, server.utf16)`` converts positions, spans,
  issues, edits and fixes to lsprotocol types; nothing else converts.
- ``boundary.py``: ``@guarded(server, "name", empty=...)`` wraps every handler and
  background job; the one place our exceptions are caught and logged to the client.
- ``server.backend_status`` + ``server.send_status()``: the ``querywright/status`` notification.
"""
