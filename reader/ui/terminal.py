"""What the app needs from the process it runs in: a terminal, and an orderly end on signals."""

from __future__ import annotations

import sys
from typing import TextIO


def require_terminal(stdin: TextIO | None = None, stdout: TextIO | None = None) -> str | None:
    """A one-line error if the app has no terminal to draw on, else None.

    Without a TTY on both ends the app would write escape codes into a file or pipe and wait
    forever for keys that never come; the caller prints this line and exits 2.
    """
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    missing = [
        name for name, stream in (("input", stdin), ("output", stdout))
        if stream is None or not stream.isatty()
    ]
    if not missing:
        return None
    return (
        f"reader: error: the app needs a terminal, but its {' and '.join(missing)} "
        f"{'is' if len(missing) == 1 else 'are'} not one; use `reader list` or "
        "`reader search QUERY` to print articles"
    )
