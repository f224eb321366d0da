"""Find SQL in source code: string literals that read as SQL, with the words around them.

Python is read with ``ast`` (triple-quoted strings, f-strings, ``text("...")`` calls,
docstrings and function names come for free); JS/TS, Java, Go and Ruby go through one small
lexer that knows their comments and string forms (template literals and tagged templates
like ``sql`...```, Java text blocks, Go raw strings, Ruby heredocs) and joins literals
concatenated with ``+``. Interpolations (``${id}``, ``#{id}``, ``{id}``) become ``:id``.
Each ``Candidate`` carries the question found for it: the comment just above, else the
enclosing function's docstring, else a humanised function, variable or file name.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

SQL_START = re.compile(r"^\s*(?:\(\s*)?(SELECT|WITH|INSERT|UPDATE|DELETE|MERGE|REPLACE)\b", re.IGNORECASE)
GENERIC_NAMES = frozenset({"sql", "query", "q", "stmt", "statement", "text", "s", "raw", "cmd", "execute", "exec", "run", "main", "select", "result", "rows", "db", "conn", "cursor", "cur", "res", "string", "str", "init", "call", "err", "error", "data", "values"})
LANGUAGES = {
    ".py": "python", ".js": "js", ".jsx": "js", ".mjs": "js", ".cjs": "js", ".ts": "js", ".tsx": "js",
    ".java": "java", ".kt": "java", ".go": "go", ".rb": "ruby",
}


@dataclass(frozen=True)
class Candidate:
    """A SQL string found in code (or a .sql file) and the question found for it."""

    sql: str
    line: int  # 1-based line where the SQL starts
    question: str | None
    question_from: str  # "comment" | "docstring" | "name" | "file" | "none"


def looks_like_sql(text: str) -> bool:
    return bool(SQL_START.match(text)) and len(text) < 100_000


def humanise(name: str) -> str:
    """``get_active_users`` / ``getActiveUsers`` / ``ACTIVE_USERS_SQL`` → ``get active users``."""
    name = PurePosixPath(name).name.split(".")[0]
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    words = [w.lower() for w in re.split(r"[\W_]+", name) if w]
    while words and words[-1] in ("sql", "query", "stmt", "statement"):
        words.pop()
    return " ".join(words)


def clean_comment(text: str) -> str:
    """Comment text without markers, tags and decoration, as one line."""
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        line = re.sub(r"^(?:/\*+|\*+/|\*|//+|#+|--+|\{#-?|-?#\})\s?", "", line).strip()
        line = re.sub(r"\*+/$|-?#\}$", "", line).strip()
        if not line or line.startswith("@") or re.fullmatch(r"[-=*#/ ]+", line):
            continue
        if re.match(r"^(noqa|type:|eslint|pylint|language=|language:|sql\b:?$)", line, re.IGNORECASE):
            continue
        lines.append(line)
    return " ".join(lines).strip()


def _question(comment: str | None, docstring: str | None, name: str | None, file: str) -> tuple[str | None, str]:
    for text, origin in ((comment, "comment"), (docstring, "docstring")):
        if text and clean_comment(text):
            return clean_comment(text), origin
    if name and name.lower() not in GENERIC_NAMES and humanise(name):
        return humanise(name), "name"
    stem = humanise(file)
    return (stem, "file") if stem else (None, "none")


# --------------------------------------------------------------------------- Python


def _comment_above(lines: list[str], lineno: int, marker: str = "#") -> str | None:
    """The block of ``marker`` comment lines ending just above 1-based ``lineno``."""
    out: list[str] = []
    i = lineno - 2
    while i >= 0 and lines[i].strip().startswith(marker):
        out.append(lines[i])
        i -= 1
    return "\n".join(reversed(out)) if out else None


def _fstring_text(node: ast.JoinedStr) -> str | None:
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append(value.value)
        elif isinstance(value, ast.FormattedValue):
            inner = ast.unparse(value.value) if hasattr(ast, "unparse") else "p"
            parts.append(":" + (re.sub(r"\W+", "_", inner).strip("_") or "p"))
        else:
            return None
    return "".join(parts)


def python_candidates(text: str, file: str) -> list[Candidate] | None:
    """SQL strings of a Python module; None when it does not parse (use the lexer)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return None
    lines = text.splitlines()
    out: list[Candidate] = []

    def visit(node: ast.AST, func: ast.AST | None, stmt: ast.stmt | None, target: str | None) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            func_next: ast.AST | None = node if not isinstance(node, ast.ClassDef) else func
            body = node.body
            skip = body[0] if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) else None
            for child in ast.iter_child_nodes(node):
                if child is not skip:
                    visit(child, func_next, stmt, None)
            return
        if isinstance(node, ast.stmt):
            stmt = node
            target = None
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else None for t in targets]
                target = next((n for n in names if n), None)
        sql = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            sql = node.value
        elif isinstance(node, ast.JoinedStr):
            sql = _fstring_text(node)
        if sql is not None:
            if looks_like_sql(sql):
                above = _comment_above(lines, stmt.lineno) if stmt is not None else None
                doc = ast.get_docstring(func) if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
                name = target or (func.name if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) else None)
                if func is not None and target and target.lower() in GENERIC_NAMES:
                    name = func.name  # type: ignore[attr-defined]
                question, origin = _question(above, doc, name, file)
                out.append(Candidate(sql, node.lineno, question, origin))
            return
        for child in ast.iter_child_nodes(node):
            visit(child, func, stmt, target)

    visit(tree, None, None, None)
    return out


# --------------------------------------------------------------------------- C-like lexer

_FUNC_NAMES = [
    re.compile(r"\bfunction\s*\*?\s*(\w+)"),
    re.compile(r"\bfunc\s+(?:\([^)]*\)\s*)?(\w+)\s*\("),
    re.compile(r"\bdef\s+(?:self\.)?(\w+[?!]?)"),
    re.compile(r"\b(?:const|let|var)\s+(\w+)\s*(?::[^=]+)?=\s*(?:async\s*)?(?:\([^)]*\)|\w+)\s*(?::[^=]+)?=>"),
    re.compile(r"^\s*(?:(?:public|private|protected|static|final|async|override|suspend|fun|synchronized)\s+)*(?:[\w<>\[\],.? ]+\s+)?(\w+)\s*\([^;{}]*\)\s*(?::\s*[\w<>\[\], .|?]+)?\s*(?:throws\s+[\w., ]+)?\s*\{"),
]
_ASSIGN = re.compile(r"(?:\b(?:const|let|var|val|final|static|String)\s+)?(\w+)\s*(?::\s*[\w<>\[\]. |]+)?\s*:?=\s*(?:[\w.]+\s*)?$")
_KEYWORDS_NOT_NAMES = frozenset({"if", "for", "while", "switch", "catch", "return", "new", "else", "try", "synchronized", "function"})


@dataclass(frozen=True)
class _Token:
    kind: str  # "comment" | "string"
    text: str
    start: int
    end: int


def _skip_braces(text: str, i: int) -> int:
    """Index after the ``}`` closing an interpolation that starts at ``i`` (after ``{``)."""
    depth = 1
    while i < len(text) and depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return i


def lex(text: str, language: str) -> list[_Token]:
    """Comments and string literals (with interpolations turned into ``:name``)."""
    tokens: list[_Token] = []
    i, n = 0, len(text)
    hash_comments = language == "ruby"
    while i < n:
        c = text[i]
        two = text[i:i + 2]
        if two == "//" and not hash_comments or (hash_comments and c == "#" and text[i:i + 2] != "#{"):
            end = text.find("\n", i)
            end = n if end == -1 else end
            tokens.append(_Token("comment", text[i:end], i, end))
            i = end
        elif two == "/*" and not hash_comments:
            end = text.find("*/", i + 2)
            end = n if end == -1 else end + 2
            tokens.append(_Token("comment", text[i:end], i, end))
            i = end
        elif language == "java" and text.startswith('"""', i):
            end = text.find('"""', i + 3)
            end = n if end == -1 else end
            body = text[i + 3:end]
            tokens.append(_Token("string", body.split("\n", 1)[1] if "\n" in body else body, i, min(end + 3, n)))
            i = end + 3
        elif language == "ruby" and (m := re.match(r"<<([~-]?)(['\"]?)([A-Z_]+)\2", text[i:i + 40])):
            line_end = text.find("\n", i)
            if line_end == -1:
                break
            term = re.compile(rf"^\s*{m.group(3)}\s*$", re.MULTILINE)
            found = term.search(text, line_end + 1)
            end = found.start() if found else n
            body = re.sub(r"#\{([^}]*)\}", lambda g: ":" + (re.sub(r"\W+", "_", g.group(1)).strip("_") or "p"), text[line_end + 1:end])
            tokens.append(_Token("string", body, i, found.end() if found else n))
            i = found.end() if found else n
        elif c in "'\"`":
            j = i + 1
            parts: list[str] = []
            raw = c == "`" and language == "go"
            interp = (c == "`" and language == "js") or (c == '"' and language == "ruby")
            while j < n and text[j] != c:
                if text[j] == "\\" and not raw and j + 1 < n:
                    nxt = text[j + 1]
                    parts.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
                    j += 2
                    continue
                if interp and text[j] in "$#" and text[j + 1:j + 2] == "{":
                    close = _skip_braces(text, j + 2)
                    inner = re.sub(r"\W+", "_", text[j + 2:close - 1]).strip("_")
                    parts.append(":" + (inner or "p"))
                    j = close
                    continue
                if text[j] == "\n" and c != "`":
                    break
                parts.append(text[j])
                j += 1
            tokens.append(_Token("string", "".join(parts), i, min(j + 1, n)))
            i = j + 1
        else:
            i += 1
    return tokens


def _joined(text: str, tokens: list[_Token]) -> list[_Token]:
    """Strings concatenated with ``+`` (or Ruby's ``\\``) become one token."""
    out: list[_Token] = []
    for token in tokens:
        prev = out[-1] if out else None
        if (prev is not None and token.kind == "string" and prev.kind == "string"
                and re.fullmatch(r"\s*(?:\+|\\)\s*", text[prev.end:token.start])):
            out[-1] = _Token("string", prev.text + token.text, prev.start, token.end)
        else:
            out.append(token)
    return out


def code_candidates(text: str, file: str, language: str) -> list[Candidate]:
    """SQL strings of a JS/TS, Java, Go or Ruby file (or Python that ``ast`` rejected)."""
    if language == "python":
        found = python_candidates(text, file)
        if found is not None:
            return found
        language = "ruby"  # same comment marker; good enough for a file that does not parse
    tokens = _joined(text, lex(text, language))
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    lines = text.splitlines()

    def line_of(offset: int) -> int:
        import bisect

        return bisect.bisect_right(line_starts, offset)

    comments_by_end: dict[int, _Token] = {}
    for token in tokens:
        if token.kind == "comment":
            comments_by_end[line_of(token.end)] = token
    out: list[Candidate] = []
    for token in tokens:
        if token.kind != "string" or not looks_like_sql(token.text):
            continue
        line = line_of(token.start)
        prefix = lines[line - 1][: token.start - line_starts[line - 1]] if line - 1 < len(lines) else ""
        decl_line, func = _enclosing_function(lines, line, language)
        assigned = _ASSIGN.search(prefix)
        name = assigned.group(1) if assigned and assigned.group(1) not in _KEYWORDS_NOT_NAMES else None
        comment = _comment_block(comments_by_end, line_of, line)
        if comment is None and (name is None or name.lower() in GENERIC_NAMES):
            comment = _comment_block(comments_by_end, line_of, decl_line) if decl_line else None
            name = func or name
        question, origin = _question(comment, None, name, file)
        out.append(Candidate(token.text, line, question, origin))
    return out


def _comment_block(comments_by_end: dict[int, _Token], line_of, line: int) -> str | None:  # type: ignore[no-untyped-def]
    """Comment tokens ending on the lines just above ``line`` (a contiguous block)."""
    parts: list[str] = []
    current = line - 1
    while current in comments_by_end:
        token = comments_by_end[current]
        parts.append(token.text)
        current = line_of(token.start) - 1
    return "\n".join(reversed(parts)) if parts else None


def _enclosing_function(lines: list[str], line: int, language: str, reach: int = 40) -> tuple[int | None, str | None]:
    """(1-based line, name) of the nearest declaration above ``line`` whose body (by brace
    count, for brace languages) is still open at ``line``."""
    for i in range(line - 1, max(-1, line - 1 - reach), -1):
        if i >= len(lines):
            continue
        for pattern in _FUNC_NAMES:
            m = pattern.search(lines[i])
            if m and m.group(1) not in _KEYWORDS_NOT_NAMES:
                if language != "ruby":
                    body = "\n".join(lines[i:line - 1]) + "\n" + lines[line - 1][:0]
                    if body.count("{") - body.count("}") <= 0 and i + 1 < line:
                        return None, None
                return i + 1, m.group(1)
    return None, None
