"""Why a write may have failed or come out short, in words a user can act on.

Libraries report a full disk differently: an ``OSError`` with ENOSPC or EFBIG, a
``RuntimeError`` from torch's writer, or nothing at all (numpy's ``tofile``, which the GGUF
writers use, ignores a short write). :func:`space_problem` looks at the limits instead: a
file size limit (``ulimit -f``) on this process, or a disk with almost no room left.
"""

from __future__ import annotations

import contextlib
import resource
import shutil
from pathlib import Path

LOW_SPACE = 64 * 1024 * 1024  # bytes free under which a disk counts as full


def space_problem(folder: Path) -> str | None:
    """What limits writing under ``folder`` now (None: nothing visible)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft != resource.RLIM_INFINITY:
        return f"a file reached the file size limit (ulimit -f: {soft} bytes)"
    with contextlib.suppress(OSError):
        free = shutil.disk_usage(folder).free
        if free < LOW_SPACE:
            return f"the disk is full ({free // (1024 * 1024)} MiB free)"
    return None
