"""The headline list: a virtual list that renders only the rows on screen.

OptionList and DataTable measure every row up front (seconds at 100,000 rows); this widget keeps
a plain list of headlines and builds a row's strip only when that row is visible.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from reader.article import Headline
from reader.text import clean

FEED_WIDTH = 14
DATE_WIDTH = 10


class HeadlineList(ScrollView, can_focus=True):
    """Headlines newest first; the cursor row is highlighted, unread rows are bold."""

    BINDINGS = [
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Last", show=False),
        Binding("enter", "open", "Open"),
    ]

    COMPONENT_CLASSES = {
        "headlines--cursor",
        "headlines--unread",
        "headlines--date",
        "headlines--feed",
        "headlines--star",
    }

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    class Opened(Message):
        """The user asked to read a headline (Enter or a click)."""

        def __init__(self, headline: Headline) -> None:
            super().__init__()
            self.headline = headline

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: Sequence[Headline] = []
        self._cache: dict[tuple[object, ...], Strip] = {}

    # --- content ---------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[Headline], keep: Headline | None = None) -> None:
        """Show ``rows``; keep the cursor on ``keep`` if it is among them."""
        self.rows = rows
        self._cache.clear()
        self.virtual_size = Size(0, len(rows))
        position = 0
        if keep is not None:
            position = next((i for i, head in enumerate(rows) if head.id == keep.id), 0)
        self.cursor = position
        self.refresh()

    @property
    def current(self) -> Headline | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def refresh_current(self) -> None:
        """Redraw the cursor row after its read or star flag changed."""
        self.refresh(Region(0, self.cursor - self.scroll_offset.y, self.size.width, 1))

    # --- movement --------------------------------------------------------------------------

    def validate_cursor(self, cursor: int) -> int:
        return max(0, min(cursor, len(self.rows) - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        top = self.scroll_offset.y
        height = max(self.scrollable_content_region.height, 1)
        if new < top:
            self.scroll_to(y=new, animate=False, immediate=True)
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False, immediate=True)
        for row in (old, new):
            self.refresh(Region(0, row - self.scroll_offset.y, self.size.width, 1))

    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        height = max(self.scrollable_content_region.height, 1)
        self.cursor += direction * height
        self.scroll_to(y=self.scroll_offset.y + direction * height, animate=False, immediate=True)

    def action_jump(self, row: int) -> None:
        self.cursor = row if row >= 0 else len(self.rows) - 1

    def action_open(self) -> None:
        if self.current is not None:
            self.post_message(self.Opened(self.current))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = offset.y + self.scroll_offset.y
        if 0 <= row < len(self.rows):
            self.cursor = row
            self.action_open()

    def on_resize(self, event: events.Resize) -> None:
        self._cache.clear()
        self.virtual_size = Size(0, len(self.rows))

    # --- rendering -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if not 0 <= row < len(self.rows):
            return Strip.blank(width, self.rich_style)
        head = self.rows[row]
        selected = row == self.cursor
        key = (row, id(head), head.read, head.starred, selected, self.has_focus, width)
        strip = self._cache.get(key)
        if strip is None:
            if len(self._cache) > 1000:
                self._cache.clear()
            strip = self._cache[key] = self._render_row(head, selected, width)
        return strip

    def _render_row(self, head: Headline, selected: bool, width: int) -> Strip:
        """One row: star, unread marker, date, feed, title; every field is plain text."""
        base = self.rich_style
        if selected:
            base += self.get_component_rich_style("headlines--cursor")

        def part(name: str) -> Style:
            return self.get_component_rich_style(f"headlines--{name}", partial=True)

        unread = not head.read
        date = head.published_at.strftime("%Y-%m-%d") if head.published_at else "no date"
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append("★" if head.starred else " ", part("star"))
        line.append("● " if unread else "  ", part("unread"))
        line.append(f"{date:<{DATE_WIDTH}} ", part("date"))
        feed = Text(clean(head.feed), no_wrap=True, overflow="ellipsis", end="")
        feed.truncate(FEED_WIDTH, pad=True)
        feed.stylize(part("feed"))
        line.append_text(feed)
        line.append(" ")
        line.append(clean(head.title[:width]), Style(bold=True) if unread else Style())
        line.truncate(width, overflow="ellipsis", pad=True)
        segments = [
            Segment(text, base + style if style else base)
            for text, style, _ in line.render(self.app.console)
        ]
        return Strip(segments).crop_extend(0, width, base)
