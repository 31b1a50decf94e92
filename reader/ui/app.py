"""The reader app: hosts the main screen and dialogs, quits cleanly, hands links to browsers.

The App holds only what is the whole program's: quitting (q, Ctrl+C, SIGTERM, SIGHUP all
save what is unsaved and restore the terminal), the key help, and the browser hand-over. The
reading itself lives in :class:`MainScreen`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import webbrowser
from pathlib import Path

from textual import work
from textual.app import App
from textual.binding import Binding, Keymap
from textual.widget import Widget

from reader.links import Browser, browser_for, openable, refusal
from reader.store import Store
from reader.ui.article_view import ArticleView
from reader.ui.headlines import HeadlineList
from reader.ui.help_screen import HelpScreen, key_rows
from reader.ui.main_screen import MainScreen
from reader.ui.terminal import require_terminal

__all__ = ["ReaderApp", "require_terminal"]

SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class ReaderApp(App[None]):
    """Read the store: type to search, Enter to read, n for the next unread article."""

    CSS_PATH = "reader.tcss"
    TITLE = "reader"
    ENABLE_COMMAND_PALETTE = False
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = [
        Binding("q", "quit", "Quit", id="reader.quit",
                tooltip="Quit (what is unsaved is saved first)"),
        # Priority: the search bar would otherwise take Ctrl+C as "copy".
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="reader.interrupt",
                tooltip="Quit (what is unsaved is saved first)"),
        Binding("question_mark", "help", "Keys", key_display="?", id="reader.help",
                tooltip="This list of keys"),
    ]

    def __init__(self, store_path: Path, *, refresh_seconds: float = 3.0) -> None:
        super().__init__()
        self.store_path = store_path
        self.main = MainScreen(store_path, refresh_seconds=refresh_seconds)
        self.keymap: Keymap = {}  # what set_keymap was given, for the help screen
        self._finished = False

    @property
    def store(self) -> Store | None:
        return self.main.store

    def on_mount(self) -> None:
        self.push_screen(self.main)
        loop = asyncio.get_running_loop()
        for signum in SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self.end_by_signal, signum)

    async def action_quit(self) -> None:
        self.close()
        self.exit()

    def end_by_signal(self, signum: int) -> None:
        """SIGTERM or SIGHUP: end as q does (save, restore the terminal), exit 128 + signum."""
        self.close()
        self.exit(return_code=128 + signum)

    def close(self) -> None:
        """Finish queued writes and save the first-screen cache, once, before the end."""
        if not self._finished:
            self._finished = True
            self.main.close()

    def on_unmount(self) -> None:
        with contextlib.suppress(RuntimeError):
            loop = asyncio.get_running_loop()
            for signum in SIGNALS:
                loop.remove_signal_handler(signum)

    # --- keys ------------------------------------------------------------------------------

    def set_keymap(self, keymap: Keymap) -> None:
        self.keymap = dict(keymap)
        super().set_keymap(keymap)

    def update_keymap(self, keymap: Keymap) -> None:
        self.keymap = {**self.keymap, **keymap}
        super().update_keymap(keymap)

    def action_help(self) -> None:
        """The help, from the bindings of the app, the main screen and its panes."""
        nodes: list[type[App[None]] | type[Widget]] = [
            HeadlineList, ArticleView, MainScreen, ReaderApp,
        ]
        bindings = [binding for node in nodes for binding in node.BINDINGS]
        self.push_screen(HelpScreen(key_rows(self, bindings, self.keymap)))

    # --- links -----------------------------------------------------------------------------

    def open_link(self, link: str) -> None:
        """Open an http(s) link: a graphical browser in the background, a terminal browser
        with the terminal handed over until it exits (see :func:`reader.links.browser_for`)."""
        url = openable(link)
        if url is None:
            self.notify(refusal(link), severity="warning", markup=False)
            return
        browser = browser_for(url)
        if browser is None:
            self.notify(f"No browser found: set $BROWSER. The link: {url}", severity="warning",
                        markup=False, timeout=15)
            return
        if browser.kind == "terminal":
            self.run_terminal_browser(browser)
        else:
            self.notify(f"Opening {url}", markup=False)
            self.run_graphical_browser(browser)

    def run_terminal_browser(self, browser: Browser) -> None:
        """Give the terminal to the browser and take it back when it exits; the screen comes
        back as it was."""
        try:
            with self.suspend():
                subprocess.run(browser.argv, check=False)
        except OSError as error:
            self.notify(f"cannot run {browser.argv[0]}: {error.strerror}", severity="error",
                        markup=False)
        except Exception as error:  # SuspendNotSupported: no terminal to hand over
            self.notify(f"cannot hand the terminal to {browser.argv[0]}: {error}",
                        severity="error", markup=False)

    @work(thread=True, group="browser")
    def run_graphical_browser(self, browser: Browser) -> None:
        """Start the browser without waiting for it; its output must not reach our screen."""
        try:
            if browser.kind == "system":
                if not webbrowser.open(browser.argv[0]):
                    raise OSError(0, "no browser answered")
            else:
                subprocess.Popen(
                    browser.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
        except (OSError, webbrowser.Error) as error:
            reason = getattr(error, "strerror", None) or str(error)
            self.call_from_thread(
                self.notify, f"cannot open the browser: {reason}", severity="error", markup=False
            )
