"""The key reference, built from the bindings themselves so it cannot go stale."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

# How keys are written in the help and the README (Textual's own display is terser: ⏎, ^c).
NAMES = {
    "escape": "Esc", "enter": "Enter", "space": "Space", "tab": "Tab", "shift+tab": "Shift+Tab",
    "pagedown": "PgDn", "pageup": "PgUp", "home": "Home", "end": "End", "ctrl+c": "Ctrl+C",
    "down": "↓", "up": "↑", "question_mark": "?", "slash": "/",
}


def key_rows(
    app: App[Any], bindings: Iterable[BindingType], keymap: Mapping[str, str]
) -> list[tuple[str, str]]:
    """(keys, what they do) per distinct action text, in declaration order, each key once.

    Bindings that share an id or a text (the list's j and the article's j) make one row;
    keys come from ``keymap`` where it rebinds an id, as Textual itself applies it.
    """
    rows: dict[str, list[str]] = {}
    seen: set[str] = set()
    for binding in Binding.make_bindings(bindings):
        if binding.system:
            continue
        text = binding.tooltip or binding.description
        key = binding.key
        if binding.id and binding.id in keymap:
            key = keymap[binding.id]
        for one in key.split(","):
            one = one.strip()
            if one in seen:
                continue
            seen.add(one)
            shown = NAMES.get(one) or app.get_key_display(Binding(one, binding.action))
            rows.setdefault(text, []).append(shown)
    return [(" / ".join(keys), text) for text, keys in rows.items()]


class HelpScreen(ModalScreen[None]):
    """Every key, in one table; any of Esc, q or ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close help", id="reader.help.close"),
    ]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        self.table = table = Table(
            title="Keys", expand=True, show_header=False, box=None, padding=(0, 2)
        )
        table.add_column(style="bold", no_wrap=True)
        table.add_column(ratio=1)  # only the text column takes the spare width
        for keys, description in self.rows:
            table.add_row(Text(keys), Text(description))
        with VerticalScroll(id="help"):
            yield Static(table)
            yield Static(Text("Esc, q or ? closes this help. Mouse: click a headline to "
                              "open it, the wheel scrolls.", style="dim"))
