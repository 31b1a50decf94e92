"""A virtual list with a cursor: rows are drawn only when they are on screen.

OptionList and DataTable measure every row up front (seconds at 100,000 rows). A subclass keeps
its rows in a plain sequence and draws one row at a time in :meth:`render_line`; this class
moves the cursor, keeps it on screen and turns a click into :meth:`action_open`. The headline
list and the feeds pane share it, and so share their keys and their key ids.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView


class CursorList(ScrollView, can_focus=True):
    """Rows with a cursor; the subclass draws them and says what opening one means."""

    # One id per key for every list and the article pane (which scrolls with the same keys):
    # one row each in the help, and a keymap entry moves them all.
    BINDINGS = [
        Binding("j,down", "cursor(1)", "Down", show=False, id="reader.down",
                tooltip="Next headline or feed; scroll the article down"),
        Binding("k,up", "cursor(-1)", "Up", show=False, id="reader.up",
                tooltip="Previous headline or feed; scroll the article up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="reader.page_down",
                tooltip="Page the list or the article down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="reader.page_up",
                tooltip="Page the list or the article up"),
        Binding("g,home", "jump(0)", "First", show=False, id="reader.first",
                tooltip="First headline or feed; top of the article"),
        Binding("G,end", "jump(-1)", "Last", show=False, id="reader.last",
                tooltip="Last headline or feed; end of the article"),
        Binding("enter", "open", "Open", show=False, id="reader.open",
                tooltip="Open: the headline (marks it read), the feed or tag"),
    ]

    # No repaint of the whole list: watch_cursor redraws the two rows that changed.
    cursor: reactive[int] = reactive(0, always_update=True, init=False, repaint=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: Sequence[object] = []

    def _set_size(self) -> None:
        self.virtual_size = Size(0, len(self.rows))

    def validate_cursor(self, cursor: int) -> int:
        return max(0, min(cursor, len(self.rows) - 1))

    @property
    def page_height(self) -> int:
        return max(self.scrollable_content_region.height, 1)

    def scroll_to_cursor(self) -> None:
        """Scroll the least that shows the cursor row."""
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + self.page_height:
            self.scroll_to(y=self.cursor - self.page_height + 1, animate=False, immediate=True)

    def watch_cursor(self, old: int, new: int) -> None:
        self.scroll_to_cursor()
        for row in (old, new):
            self.refresh(Region(0, row - self.scroll_offset.y, self.size.width, 1))

    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        """Scroll a page and move the cursor a page, as far as the list goes: the cursor stays
        on screen, on the same line of the view where it can."""
        height = self.page_height
        top = max(0, min(self.scroll_offset.y + direction * height, len(self.rows) - height))
        self.scroll_to(y=top, animate=False, immediate=True)
        self.cursor = max(top, min(self.cursor + direction * height, top + height - 1))

    def action_jump(self, row: int) -> None:
        self.cursor = row if row >= 0 else len(self.rows) - 1

    def action_open(self) -> None:
        """Enter or a click on the cursor row."""

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = offset.y + self.scroll_offset.y
        if 0 <= row < len(self.rows):
            self.cursor = row
            self.action_open()

    def on_resize(self, event: events.Resize) -> None:
        self._set_size()
