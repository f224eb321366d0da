"""The one root of querywright's own failures.

User SQL that fails to parse is never an exception: it becomes an ``Issue``. These
exceptions mean *we* could not do something (bad config, missing model, backend down);
the LSP catches them once at the handler boundary and the CLI prints them without a
traceback.
"""

from __future__ import annotations


class QuerywrightError(Exception):
    """Base class of every error raised on purpose by querywright."""


class ConfigError(QuerywrightError):
    """The workspace or client configuration is invalid."""


class CatalogError(QuerywrightError):
    """A schema source (file or database) could not be read at all."""


class ModelError(QuerywrightError):
    """A model reference could not be resolved, loaded or reached."""


class TrainingError(QuerywrightError):
    """Training, evaluation or export could not run."""
