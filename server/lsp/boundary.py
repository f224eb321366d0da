"""The one handler boundary: our own failures are logged to the client, never fatal.

Every LSP handler, command and background task is wrapped by ``guarded``. A
``QuerywrightError`` (an expected failure: bad config, unreadable schema) or any
unexpected exception is logged through ``window/logMessage`` and the request answers its
empty result; commands answer a JSON-RPC error carrying the message instead, so the
client can show it. Protocol errors (``JsonRpcException``) and cancellation pass through.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError

from ..errors import QuerywrightError
from ..redact import mask_text

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)


def report(server: LanguageServer, where: str, exc: BaseException) -> str:
    """Log a failure to the client's log (and stderr); returns the user-facing text."""
    if isinstance(exc, QuerywrightError):
        message = f"{where}: {exc}"
        level = types.MessageType.Warning
    else:
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        message = f"{where} failed: {type(exc).__name__}: {exc}\n{detail}"
        level = types.MessageType.Error
    message = mask_text(message)  # an error may quote a database URL or a key
    log.warning("%s", message)
    try:
        server.window_log_message(types.LogMessageParams(type=level, message=message))
    except (RuntimeError, OSError, AttributeError):  # no client connected (tests of the core)
        pass
    return mask_text(f"{where}: {exc}")


def guarded(server: LanguageServer, where: str, empty: Any = None, rpc_error: bool = False) -> Callable[[F], F]:
    """Wrap a handler: failures are reported and answered with ``empty`` (or, with
    ``rpc_error``, a JSON-RPC internal error carrying the message)."""

    def fail(exc: Exception) -> Any:
        text = report(server, where, exc)
        if rpc_error:
            raise JsonRpcInternalError(text) from exc
        return empty

    def decorate(fn: F) -> F:
        if asyncio.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await fn(*args, **kwargs)
                except JsonRpcException:
                    raise
                except Exception as exc:  # noqa: BLE001 - the one handler boundary: never fatal
                    return fail(exc)

            return run_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except JsonRpcException:
                raise
            except Exception as exc:  # noqa: BLE001 - the one handler boundary: never fatal
                return fail(exc)

        return run  # type: ignore[return-value]

    return decorate
