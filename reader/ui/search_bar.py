"""The search bar: an Input that Esc clears, or leaves when it is already empty."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class SearchBar(Input):
    """Type to search; the list narrows on every keystroke."""

    BINDINGS = [Binding("escape", "clear_or_leave", "Clear search", show=False)]

    class Left(Message):
        """Esc on an empty search bar: focus goes back to the list."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="Search: words must all match, \"a phrase\" in quotes  (/)",
                         id=id)

    def action_clear_or_leave(self) -> None:
        if self.value:
            self.value = ""
        else:
            self.post_message(self.Left())
