"""Mask credentials in text before it is printed, logged, raised or written.

``mask_url`` hides the password of a URL (``postgresql://ro:***@db/app``) and the values of
secret-looking query parameters (``password=``, ``token=``, ``api_key=`` ...);
``mask_text`` does the same for every URL inside a longer text and also hides bare API
keys (``sk-...``, ``ghp_...``, ``Bearer ...``). Both are pure and never raise.
``MaskingFormatter`` applies ``mask_text`` to every formatted log record (message, arguments
and traceback), so a library that logs a URL cannot leak its password.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

_SECRET_PARAMS = r"(?:password|passwd|pwd|secret|token|access_token|auth_token|api_key|apikey|api-key|key|sslpassword)"

# scheme://user:password@host  (password up to the last '@' before the path)
_USERINFO = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@'\"]*:)(?P<secret>[^\s@/'\"]*)(?P<at>@)")
_QUERY = re.compile(rf"(?P<head>(?:^|[?&;\s]){_SECRET_PARAMS}=)(?P<secret>[^&\s'\"#]+)", re.IGNORECASE)
_KEYS = re.compile(
    r"\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9\-]{10,}|AKIA[0-9A-Z]{16})\b"
)
_BEARER = re.compile(r"(?P<head>\bBearer\s+)(?P<secret>[A-Za-z0-9._~+/\-]{8,}=*)")


def _hide(match: re.Match[str]) -> str:
    groups = match.groupdict()
    if not groups.get("secret"):
        return match.group(0)
    return groups["head"] + MASK + groups.get("at", "") if "at" in groups else groups["head"] + MASK


def mask_text(text: str) -> str:
    """``text`` with every credential it holds replaced by ``***``."""
    if not text:
        return text
    text = _USERINFO.sub(_hide, text)
    text = _QUERY.sub(_hide, text)
    text = _BEARER.sub(_hide, text)
    return _KEYS.sub(MASK, text)


def mask_url(url: str | None) -> str:
    """A URL safe to show: password and secret query parameters replaced by ``***``."""
    if url is None:
        return ""
    return mask_text(url)


def mask_secret(value: str | None) -> str:
    """A secret value shown only as its presence: ``***`` (or empty when unset)."""
    return MASK if value else ""


class MaskingFormatter(logging.Formatter):
    """A log formatter whose output went through ``mask_text``."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))
