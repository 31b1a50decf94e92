"""Which links may be opened (http and https with a host, nothing else) and with which browser;
a browser is run from an argument list, never through a shell.

A link that holds whitespace, quotes, controls or invisible characters is refused rather than
repaired: what is opened must be exactly what the reader was shown.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from reader.text import clean

MAX_LENGTH = 8192

_FORBIDDEN = re.compile(r"[ \t\r\n\"'<>`\\\x00-\x1f\x7f]")
# http(s), then a host of plain letters, digits, dots and hyphens (no user, no port) up to
# the end or the path, query or fragment: urlsplit gives it a host and no port to refuse.
_PLAIN_WEB = re.compile(r"[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.\-]+(?=[/?#]|\Z)")


def openable(link: str) -> str | None:
    """The link if a browser may be pointed at it, else None (relative, javascript:, file:...)."""
    if not link or len(link) > MAX_LENGTH or _FORBIDDEN.search(link):
        return None
    # An ASCII link without those is printable, and clean() leaves it as it is.
    if not link.isascii() and (not link.isprintable() or clean(link) != link):
        return None  # C1 controls, bidi overrides, zero-width or other invisible characters
    if _PLAIN_WEB.match(link):
        return link  # what urlsplit accepts below, told by one match (a tenth of the time)
    try:
        parts = urlsplit(link)
        port = parts.port  # raises on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if port is not None and not 0 < port < 65536:
        return None
    return link


def refusal(link: str) -> str:
    """One line saying why a link is not opened."""
    if not link:
        return "this article has no link"
    shown = link if len(link) <= 80 else link[:77] + "..."
    return f"not opening {shown!r}: only http and https links are opened"


# --- which browser, and how it is run ------------------------------------------------------
#
# The rule: a `$BROWSER` whose program we know to be graphical (firefox, chromium, xdg-open...)
# is started in the background with its output discarded, so the reader never waits for it.
# Any other `$BROWSER` (w3m, lynx, links, elinks, or a program we cannot tell) is taken to be a
# terminal browser: the app hands it the terminal and takes it back when it exits, since a
# terminal browser run beside the app would draw over it. With no `$BROWSER`, the platform's
# default browser is used where there is a display (macOS, Windows, or $DISPLAY /
# $WAYLAND_DISPLAY set); without a display, the first terminal browser found on the PATH.

GRAPHICAL = frozenset({
    "brave", "brave-browser", "chrome", "chromium", "chromium-browser", "epiphany",
    "falkon", "firefox", "firefox-esr", "gio", "gnome-open", "gnome-www-browser",
    "google-chrome", "google-chrome-stable", "kde-open", "kde-open5", "konqueror",
    "librewolf", "microsoft-edge", "midori", "open", "opera", "qutebrowser", "safari",
    "vivaldi", "wslview", "x-www-browser", "xdg-open",
})
TERMINAL = ("www-browser", "w3m", "lynx", "elinks", "links", "links2", "browsh")


@dataclass(frozen=True)
class Browser:
    """How to open a link: ``graphical`` (detached), ``terminal`` (owns the terminal while
    it runs) or ``system`` (the platform default via :mod:`webbrowser`)."""

    kind: Literal["graphical", "terminal", "system"]
    argv: tuple[str, ...] = ()


def browser_for(
    url: str,
    environ: Mapping[str, str] | None = None,
    platform: str = sys.platform,
) -> Browser | None:
    """The browser to open ``url`` (already checked by :func:`openable`) with, or None."""
    env = os.environ if environ is None else environ
    command = env.get("BROWSER", "").split(os.pathsep)[0].strip()
    if command:
        try:
            words = shlex.split(command)
        except ValueError:
            words = []
        if not words:
            return None
        argv = [url if w == "%s" else w.replace("%s", url) for w in words]
        if not any("%s" in w for w in words):
            argv.append(url)
        name = os.path.basename(words[0]).lower().removesuffix(".exe")
        return Browser("graphical" if name in GRAPHICAL else "terminal", tuple(argv))
    if platform in ("darwin", "win32") or env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return Browser("system", (url,))
    for name in TERMINAL:
        found = shutil.which(name, path=env.get("PATH"))
        if found:
            return Browser("terminal", (found, url))
    return None
