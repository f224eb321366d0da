"""Finding and reading the workspace's SQL files.

Discovery honours ``.gitignore`` and the config's globs, never reads secrets, and orders
migrations numerically (``V2__`` before ``V10__``, ``0002_`` before ``0010_``, timestamps).
Reading never raises on bad files: binary, oversized and non-UTF-8 files come back as an
``Issue`` (and, for non-UTF-8, the text decoded with replacement characters).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pathspec

from ..privacy import SECRET_FILE
from .issues import Issue, Severity, Span

ALWAYS_IGNORED = (".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache", ".ruff_cache", ".pytest_cache", "dist", "build", "target", ".idea", ".vscode")
SECRET_NAMES = SECRET_FILE  # the one list of secrets files (server/privacy.py)
MIGRATION_DIRS = frozenset({"migrations", "migration", "migrate", "schema", "schemas", "ddl", "flyway", "db", "database", "sql_migrations", "changelog"})
SCHEMA_NAME = re.compile(r"(^V\d+(?:[._]\d+)*__.*|^R__.*|^\d+[_-].*|^schema.*|.*(?:ddl|schema|migration|migrate).*)\.sql$", re.IGNORECASE)
CREATE_TABLE = re.compile(rb"\bcreate\s+(?:or\s+replace\s+)?(?:\w+\s+){0,3}?table\b", re.IGNORECASE)
# Seed data read with the schema: pg_dump's COPY blocks anywhere, INSERTs in a file named for data.
COPY_FROM_STDIN = re.compile(rb"^COPY\s+[^\n]*\bFROM\s+stdin\b", re.IGNORECASE | re.MULTILINE)
SEED_NAME = re.compile(r".*(?:seed|data|fixture|sample).*\.sql$", re.IGNORECASE)
INSERT_INTO = re.compile(rb"\binsert\s+into\b", re.IGNORECASE)
_NUM = re.compile(r"(\d+)")
_FLYWAY = re.compile(r"^[vV](\d+(?:[._]\d+)*)__")


def natural_key(path: str) -> tuple[object, ...]:
    """Sort key: numbers compare as numbers; Flyway repeatable (R__) after versioned."""
    parts: list[object] = []
    segments = path.split("/")
    for i, segment in enumerate(segments):
        if i == len(segments) - 1:
            parts.append((-1, 1 if segment.upper().startswith("R__") else 0))
            flyway = _FLYWAY.match(segment)
            if flyway:  # V1__ < V1_1__ < V1.2__ < V2__: versions compare as number tuples
                parts.extend((1, int(v)) for v in re.split(r"[._]", flyway.group(1)))
                segment = segment[flyway.end() - 2 :]
        for j, piece in enumerate(_NUM.split(segment.lower())):
            parts.append((1, int(piece)) if j % 2 else (0, piece))
        parts.append((0, "/"))
    return tuple(parts)


def _spec(patterns: tuple[str, ...] | list[str]) -> pathspec.PathSpec:
    return pathspec.PathSpec.from_lines("gitignore", patterns)


def is_secret(name: str) -> bool:
    return bool(SECRET_NAMES.search(name))


def inside(root: Path, path: Path) -> bool:
    """Whether ``path`` (a symlink followed to its end) lies inside the workspace ``root``."""
    try:
        return Path(os.path.realpath(path)).is_relative_to(root)
    except (OSError, ValueError):
        return False


def walk_files(root: Path, exclude: tuple[str, ...] = (), suffixes: tuple[str, ...] | None = (".sql",),
               outside: list[str] | None = None) -> list[str]:
    """Workspace files (POSIX paths relative to ``root``), honouring .gitignore files
    at the root and in subfolders, ``exclude`` globs, and never secrets nor symlinks that
    lead out of the workspace (symlinked folders are not followed); those symlinks are
    appended to ``outside`` when given."""
    root = root.resolve()
    specs: list[tuple[str, pathspec.PathSpec]] = [("", _spec(list(exclude)))]
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir
        gitignore = Path(dirpath) / ".gitignore"
        if gitignore.is_file():
            try:
                lines = gitignore.read_text("utf-8", errors="replace").splitlines()
                specs.append((rel_dir, _spec(lines)))
            except OSError:
                pass

        def ignored(rel: str, is_dir: bool) -> bool:
            for base, spec in specs:
                if base and not rel.startswith(base + "/"):
                    continue
                sub = rel[len(base) + 1 :] if base else rel
                if spec.match_file(sub + ("/" if is_dir else "")):
                    return True
            return False

        kept = []
        for d in sorted(dirnames):
            rel = f"{rel_dir}/{d}" if rel_dir else d
            if d in ALWAYS_IGNORED or ignored(rel, True):
                continue
            kept.append(d)
        dirnames[:] = kept
        for f in filenames:
            if suffixes is not None and not f.lower().endswith(suffixes):
                continue
            if is_secret(f):
                continue
            rel = f"{rel_dir}/{f}" if rel_dir else f
            if ignored(rel, False):
                continue
            if inside(root, Path(dirpath) / f):
                out.append(rel)
            elif outside is not None:
                outside.append(rel)
    return sorted(out, key=natural_key)


@dataclass(frozen=True)
class FileSets:
    schema: tuple[str, ...]
    queries: tuple[str, ...]


def classify(root: Path, files: list[str], schema_globs: tuple[str, ...], query_globs: tuple[str, ...]) -> FileSets:
    """Split SQL files into schema files (replayed in order) and query files (checked)."""
    if schema_globs:
        spec = _spec(schema_globs)
        schema = [f for f in files if spec.match_file(f)]
    else:
        schema = [f for f in files if _looks_like_schema(root, f)]
    schema_set = set(schema)
    if query_globs:
        spec = _spec(query_globs)
        queries = [f for f in files if spec.match_file(f) and f not in schema_set]
    else:
        queries = [f for f in files if f not in schema_set]
    return FileSets(tuple(sorted(schema, key=natural_key)), tuple(sorted(queries, key=natural_key)))


def _looks_like_schema(root: Path, rel: str) -> bool:
    parts = rel.lower().split("/")
    if any(p in MIGRATION_DIRS for p in parts[:-1]) or SCHEMA_NAME.match(parts[-1]):
        return True
    try:
        with open(root / rel, "rb") as handle:
            head = handle.read(65536)
    except OSError:
        return False
    if CREATE_TABLE.search(head) or COPY_FROM_STDIN.search(head):
        return True
    return bool(SEED_NAME.match(parts[-1]) and INSERT_INTO.search(head))


def read_text(path: Path, rel: str, max_bytes: int) -> tuple[str | None, Issue | None]:
    """The file's text, or None with the reason as an issue."""
    top = Span.at(0, 0)
    try:
        size = path.stat().st_size
        if max_bytes and size > max_bytes:
            return None, Issue("file-too-large", Severity.WARNING, f"{rel} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit (max_file_size_mb); skipped", top, path=rel)
        data = path.read_bytes()
    except OSError as exc:
        return None, Issue("file-unreadable", Severity.WARNING, f"{rel} cannot be read: {exc.strerror or exc}", top, path=rel)
    return decode(data, rel)


def _utf16_codec(data: bytes) -> str | None:
    """``utf-16`` when the bytes carry a UTF-16 BOM, or look like UTF-16 text without one."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    head = data[:4096]
    if len(head) >= 16:
        odd, even = head[1::2], head[0::2]
        if odd.count(0) > 0.9 * len(odd) and even.count(0) == 0:
            return "utf-16-le"
        if even.count(0) > 0.9 * len(even) and odd.count(0) == 0:
            return "utf-16-be"
    return None


def decode(data: bytes, rel: str) -> tuple[str | None, Issue | None]:
    """Text of a SQL file: UTF-8 (BOM allowed), UTF-16 (BOM or by its NUL pattern), else
    Latin-1/Windows-1252 with a warning; a binary file (NUL bytes) is skipped."""
    top = Span.at(0, 0)
    codec = _utf16_codec(data)
    if codec is not None:
        try:
            return data.decode(codec), None
        except UnicodeDecodeError as exc:
            return None, Issue("not-utf8", Severity.WARNING, f"{rel} looks like UTF-16 but does not decode (byte {exc.start}); skipped", top, path=rel)
    if b"\x00" in data[:8192]:
        return None, Issue("binary-file", Severity.WARNING, f"{rel} looks binary (NUL bytes); skipped", top, path=rel)
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        text = data.decode("cp1252", errors="replace")
        return text, Issue("not-utf8", Severity.WARNING, f"{rel} is not valid UTF-8 (byte {exc.start}); read as Windows-1252/Latin-1", top, path=rel)
