"""Recognise secrets and personal data, and the files that hold secrets.

One detector for the whole product (``trainer`` imports it; ``server`` never imports the
trainer): ``sensitive_kind`` says what a string literal's value looks like — ``secret``
(API keys and tokens, credentials in URLs, private keys, JWTs, long random tokens),
``email``, ``card`` (13-19 digits passing the Luhn check) or ``phone`` — or None;
``mask_sql_literals`` replaces each such literal of a SQL text by a typed placeholder
(``'<email>'``) so the statement still parses; ``mask_free_text`` does the same inside prose
(questions, comments). ``is_secret_file`` names the files never to read (``.env*``,
``*.pem``, ``*.key``, ``id_rsa*``, ``credentials*``, ``.npmrc``, ``.pgpass`` ...). Pure,
never raise.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from .redact import mask_text

SECRET_FILE = re.compile(
    r"(^\.env(\..*)?$|\.env$|\.pem$|\.key$|\.p12$|\.pfx$|\.jks$|\.keystore$|\.kdbx$|\.ovpn$|\.asc$|\.gpg$"
    r"|^id_(rsa|ed25519|ecdsa|dsa)(\..*)?$|credentials|secrets?\.|^\.npmrc$|^\.pypirc$|^\.pgpass$|^\.netrc$"
    r"|^\.git-credentials$|^\.htpasswd$|^\.dockercfg$|^\.s3cfg$|^\.boto$|^terraform\.tfvars(\.json)?$|\.tfstate$)",
    re.IGNORECASE,
)

EMAIL = re.compile(r"(?<![\w.%+\-])[A-Za-z0-9._+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# digits in groups, optionally +country and (area), 10-15 digits in all (checked after matching)
PHONE = re.compile(r"(?<![\w+])\+?\(?\d{1,4}\)?(?:[\s.\-]?\(?\d{2,4}\)?){2,5}(?!\w)")
CARD = re.compile(r"(?<!\d)\d(?:[ \-]?\d){12,18}(?!\d)")
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}")
_TOKEN = re.compile(r"[A-Za-z0-9_\-+/=.]{24,}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SQL_STRING = re.compile(r"'(?:[^']|'')*'")
PLACEHOLDERS = {"secret": "<secret>", "email": "<email>", "card": "<card-number>", "phone": "<phone>"}


def is_secret_file(name: str) -> bool:
    """Whether a file of this name holds credentials and must never be read."""
    return bool(SECRET_FILE.search(name))


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a card number (digits only)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())


def _random_token(text: str) -> bool:
    """A long run of mixed letters and digits with high entropy: an API key or token."""
    if not _TOKEN.fullmatch(text):
        return False
    if _UUID.fullmatch(text):
        return False  # an identifier, not a credential
    classes = sum(bool(re.search(p, text)) for p in ("[a-z]", "[A-Z]", "[0-9]"))
    entropy = _entropy(text)
    return (classes >= 3 and entropy >= 4.0) or (classes >= 2 and len(text) >= 32 and entropy >= 3.5)


def _is_card(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    return 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_ok(digits)


def _is_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if not 10 <= len(digits) <= 15:
        return False
    # a bare run of digits is an id, not a phone number, unless it starts with +
    return candidate.lstrip().startswith("+") or bool(re.search(r"[\s.\-()]", candidate.strip()))


def _is_date(candidate: str) -> bool:
    return bool(re.fullmatch(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?", candidate.strip()))


def sensitive_kind(value: str) -> str | None:
    """What a literal's value looks like: ``secret``, ``email``, ``card``, ``phone``, or None."""
    if not value or len(value) < 6:
        return None
    if mask_text(value) != value or _PRIVATE_KEY.search(value) or _JWT.search(value) or _random_token(value.strip()):
        return "secret"
    if EMAIL.search(value):
        return "email"
    if any(_is_card(m.group(0)) for m in CARD.finditer(value)):
        return "card"
    if not _is_date(value) and any(_is_phone(m.group(0)) for m in PHONE.finditer(value)):
        return "phone"
    return None


def mask_sql_literals(sql: str) -> tuple[str, int]:
    """``sql`` with each sensitive string literal replaced by its placeholder, and how many."""
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        kind = sensitive_kind(match.group(0)[1:-1].replace("''", "'"))
        if kind is None:
            return match.group(0)
        count += 1
        return f"'{PLACEHOLDERS[kind]}'"

    return _SQL_STRING.sub(replace, sql), count


def mask_free_text(text: str) -> tuple[str, int]:
    """Prose with secrets, emails, card and phone numbers replaced by placeholders."""
    count = 0

    def sub(pattern: re.Pattern[str], kind: str, keep: object = None) -> None:
        nonlocal text, count

        def replace(match: re.Match[str]) -> str:
            nonlocal count
            if callable(keep) and not keep(match.group(0)):
                return match.group(0)
            count += 1
            return PLACEHOLDERS[kind]

        text = pattern.sub(replace, text)

    masked = mask_text(text)
    if masked != text:
        count += 1
        text = masked
    sub(_JWT, "secret")
    sub(EMAIL, "email")
    sub(CARD, "card", _is_card)
    sub(PHONE, "phone", lambda m: _is_phone(m) and not _is_date(m))
    sub(re.compile(r"(?<![\w/])[A-Za-z0-9_\-+/=]{24,}(?![\w/])"), "secret", _random_token)
    return text, count
