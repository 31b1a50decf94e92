"""The reader app: hosts the main screen and dialogs, quits cleanly, hands links to browsers.

The App holds only what is the whole program's: the settings (read once at start: key
overrides, theme, refresh interval), quitting (q, Ctrl+C, SIGTERM, SIGHUP all save what is
unsaved and restore the terminal), the key help, the theme picker, and the browser hand-over.
The reading itself lives in :class:`MainScreen`.
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
from textual.theme import Theme
from textual.widget import Widget

from reader.config import ConfigError, load_config, save_theme
from reader.links import Browser, browser_for, openable, refusal
from reader.store import Store
from reader.text import clean, clip
from reader.ui.article_view import ArticleView
from reader.ui.dialogs import FeedSettingsScreen, LinksScreen, SavePageScreen
from reader.ui.feeds_pane import FeedList
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
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide"), (160, "-wider")]
    BINDINGS = [
        Binding("q", "quit", "Quit", id="reader.quit",
                tooltip="Quit (what is unsaved is saved first)"),
        # Priority: the search bar would otherwise take Ctrl+C as "copy".
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="reader.interrupt",
                tooltip="Quit (what is unsaved is saved first)"),
        Binding("question_mark", "help", "Keys", key_display="?", id="reader.help",
                tooltip="This list of keys"),
        Binding("T", "change_theme", "Theme", show=False, id="reader.theme",
                tooltip="Choose a colour theme (it is remembered)"),
    ]

    def __init__(
        self,
        store_path: Path,
        *,
        refresh_seconds: float = 3.0,
        config_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.store_path = store_path
        # A small file read once, before the first frame: keys and theme apply from the start.
        self.config_path = config_path
        self.config, self.config_warnings = load_config(config_path)
        self.main = MainScreen(store_path, refresh_seconds=refresh_seconds, config=self.config)
        self.keymap: Keymap = {}  # what set_keymap was given, for the help screen
        self._theme_saved = self.config.theme  # the theme the settings file names
        self._finished = False

    @property
    def store(self) -> Store | None:
        return self.main.store

    def on_mount(self) -> None:
        self.apply_config()
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

    # --- settings --------------------------------------------------------------------------

    def apply_config(self) -> None:
        """Key overrides and theme from the settings file; whatever is wrong is said in one
        notification and left at its default."""
        warnings = list(self.config_warnings)
        known = binding_ids()
        keymap = {}
        for binding_id, keys in self.config.keys.items():
            if binding_id in known:
                keymap[binding_id] = keys
            else:
                warnings.append(f"keys.{clip(clean(binding_id), 60)}: no such key binding, "
                                "ignored (the README lists the ids)")
        if keymap:
            self.set_keymap(keymap)
        if self.config.theme in self.available_themes:
            self.theme = self.config.theme
        else:
            warnings.append(f"theme: no theme called {clip(clean(self.config.theme), 40)!r}; "
                            f"using {self.theme} (T chooses one)")
        if warnings:
            self.notify("\n".join(warnings), title="Settings (the others apply)",
                        severity="warning", markup=False, timeout=20)
        self.theme_changed_signal.subscribe(self, self.theme_chosen)

    def action_change_theme(self) -> None:
        """T: the theme picker (Textual's command palette of themes)."""
        self.search_themes()

    def theme_chosen(self, theme: Theme) -> None:
        if theme.name != self._theme_saved:
            self._theme_saved = theme.name
            self.remember_theme(theme.name)

    @work(thread=True, group="settings")
    def remember_theme(self, name: str) -> None:
        """Write the chosen theme into the settings file, off the UI thread."""
        try:
            save_theme(self.config_path, name)
        except ConfigError as error:
            self.call_from_thread(self.notify, str(error), title="Theme not remembered",
                                  severity="warning", markup=False)

    # --- keys ------------------------------------------------------------------------------

    def set_keymap(self, keymap: Keymap) -> None:
        self.keymap = dict(keymap)
        super().set_keymap(keymap)

    def update_keymap(self, keymap: Keymap) -> None:
        self.keymap = {**self.keymap, **keymap}
        super().update_keymap(keymap)

    def action_help(self) -> None:
        """The help, from the bindings of the app, the main screen and its panes."""
        self.push_screen(HelpScreen(key_rows(self, all_bindings(), self.keymap)))

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


def all_bindings() -> list[Binding]:
    """Every binding of the app, the main screen and its panes, in the help's order (the
    lists' keys first)."""
    nodes: list[type[App[None]] | type[Widget]] = [
        HeadlineList, FeedList, ArticleView, MainScreen, ReaderApp,
    ]
    return [binding for node in nodes for binding in Binding.make_bindings(node.BINDINGS)]


def binding_ids() -> set[str]:
    """The ids a settings file may rebind (the help screen's and the dialogs' keys too)."""
    dialogs = (HelpScreen, LinksScreen, SavePageScreen, FeedSettingsScreen)
    bindings = [*all_bindings(), *(b for d in dialogs for b in Binding.make_bindings(d.BINDINGS))]
    return {binding.id for binding in bindings if binding.id}
