"""The search bar: an Input that tells its screen what to search for, and nothing else."""

from __future__ import annotations

from textual import on
from textual.message import Message
from textual.widgets import Input

MAX_QUERY = 200  # characters: longer queries match nothing more and only cost time to search


class SearchBar(Input):
    """Type to search; the list narrows as you type. Esc is handled by the screen (back)."""

    class QueryChanged(Message):
        """The search text changed; only this message drives the search."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Done(Message):
        """Enter in the search bar: back to the list with the search kept."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            placeholder='/ search: words must all match, "a phrase" in quotes',
            max_length=MAX_QUERY,
            id=id,
        )

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.QueryChanged(event.value))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Done())
