"""The headline list: a virtual list that renders only the rows on screen.

OptionList and DataTable measure every row up front (seconds at 100,000 rows); this widget keeps
a plain list of headlines and builds a row's strip only when that row is visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

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

FEED_WIDTH = 12  # at most; a sixth of the row on narrow lists, none when every row is one feed
DATE_WIDTH = 9  # "14 Sep" this year, "14 Sep 22" before: the title gets the width


def short_date(head: Headline, this_year: int) -> str:
    when = head.published_at
    if when is None:
        return "no date"
    return when.strftime("%d %b" if when.year == this_year else "%d %b %y")


class HeadlineList(ScrollView, can_focus=True):
    """Headlines newest first; the cursor row is highlighted, unread rows are bold."""

    # The ids are shared with the article pane's scrolling keys: one id, one row in the help,
    # and a keymap entry moves both.
    BINDINGS = [
        Binding("j,down", "cursor(1)", "Down", show=False, id="reader.down",
                tooltip="Next headline; scroll the article down"),
        Binding("k,up", "cursor(-1)", "Up", show=False, id="reader.up",
                tooltip="Previous headline; scroll the article up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="reader.page_down",
                tooltip="Page the list or the article down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="reader.page_up",
                tooltip="Page the list or the article up"),
        Binding("g,home", "jump(0)", "First", show=False, id="reader.first",
                tooltip="First headline; top of the article"),
        Binding("G,end", "jump(-1)", "Last", show=False, id="reader.last",
                tooltip="Last headline; end of the article"),
        Binding("enter", "open", "Open", show=False, id="reader.open",
                tooltip="Open the headline (or click it); marks it read"),
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
        self.show_feed = True
        self.show_date = True
        self._year = datetime.now(UTC).year
        self._cache: dict[tuple[object, ...], Strip] = {}

    # --- content ---------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[Headline], keep: Headline | None = None) -> None:
        """Show ``rows``; keep the cursor on ``keep`` if it is among them."""
        self.rows = rows
        first = rows[0].feed if rows else ""
        self.show_feed = any(head.feed != first for head in rows)
        self.show_date = any(head.published is not None for head in rows)
        self._cache.clear()
        self.virtual_size = Size(0, len(rows))
        position = 0
        if keep is not None:
            position = next((i for i, head in enumerate(rows) if head.id == keep.id), 0)
        self.cursor = position
        # The new scroll range is known only after the next layout: scroll the cursor into
        # view again then, or a list grown back from a search would leave it off screen.
        self.call_after_refresh(self.scroll_to_cursor)
        self.refresh()

    @property
    def current(self) -> Headline | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def refresh_flags(self) -> None:
        """Redraw after a read or star flag changed, wherever that row is: the strip cache is
        keyed by the flags, so only changed rows are drawn again."""
        self.refresh()

    # --- movement --------------------------------------------------------------------------

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
        key = (row, id(head), head.read, head.starred, selected, self.has_focus, width,
               self.show_feed, self.show_date)
        strip = self._cache.get(key)
        if strip is None:
            if len(self._cache) > 1000:
                self._cache.clear()
            strip = self._cache[key] = self._render_row(head, selected, width)
        return strip

    def _render_row(self, head: Headline, selected: bool, width: int) -> Strip:
        """One row: star, unread marker, date (if any row has one), feed (if rows differ), title;
        every field is plain text."""
        base = self.rich_style
        if selected:
            base += self.get_component_rich_style("headlines--cursor")

        def part(name: str) -> Style:
            return self.get_component_rich_style(f"headlines--{name}", partial=True)

        unread = not head.read
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append("★" if head.starred else " ", part("star"))
        line.append("● " if unread else "  ", part("unread"))
        if self.show_date:
            line.append(f"{short_date(head, self._year):<{DATE_WIDTH}} ", part("date"))
        if self.show_feed:
            feed = Text(clean(head.feed), no_wrap=True, overflow="ellipsis", end="")
            feed.truncate(min(FEED_WIDTH, width // 6), pad=True)
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
