"""The key reference, built from the bindings themselves so it cannot go stale."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

# Keys handled by widgets rather than the app, described for the help screen.
WIDGET_KEYS = [
    ("j / k, ↓ / ↑", "Move in the list, scroll the article"),
    ("PgUp / PgDn", "Page the list"),
    ("g / G, Home / End", "First / last headline"),
    ("Enter, click", "Open the headline in the article pane"),
    ("space", "Page the article"),
    ("Tab / Shift+Tab", "Move focus between list, article and search"),
    ("Esc", "Clear the search, or go back to the list"),
]


class HelpScreen(ModalScreen[None]):
    """Every key, in one table; any of Esc, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close help")]

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__()
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        self.table = table = Table(
            title="Keys", expand=True, show_header=False, box=None, padding=(0, 2)
        )
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for keys, description in WIDGET_KEYS:
            table.add_row(Text(keys), Text(description))
        for binding in self.bindings:
            table.add_row(Text(binding.key_display or binding.key), Text(binding.description))
        with VerticalScroll(id="help"):
            yield Static(table)
            yield Static(Text("Esc, q or ? closes this help.", style="dim"))
