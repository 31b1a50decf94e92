"""The headline list: a virtual list that renders only the rows on screen (see
:class:`CursorList`): a plain list of headlines, a row's strip built only when it is visible."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.message import Message
from textual.strip import Strip

from reader.article import Headline
from reader.text import clean
from reader.ui.cursor_list import CursorList

FEED_WIDTH = 12  # at most; a sixth of the row on narrow lists, none when every row is one feed
DATE_WIDTH = 9  # the widest date column, "14 Sep 22"; "14 Sep" (this year) needs 6
NO_DATE = "no date"


def short_date(head: Headline, this_year: int) -> str:
    when = head.published_at
    if when is None:
        return NO_DATE
    return when.strftime("%d %b" if when.year == this_year else "%d %b %y")


def date_width(rows: Sequence[Headline], this_year: int) -> int:
    """The date column's width: 0 if no row has a date, 6 for "14 Sep" (this year), 7 for "no
    date", 9 for "14 Sep 22": the title gets what the dates do not need."""
    start = datetime(this_year, 1, 1, tzinfo=UTC).timestamp()
    end = datetime(this_year + 1, 1, 1, tzinfo=UTC).timestamp()
    dated = undated = older = False
    for head in rows:
        when = head.published
        if when is None:
            undated = True
        else:
            dated = True
            if not start <= when < end:
                older = True
                break
    if not dated:
        return 0
    return DATE_WIDTH if older else len(NO_DATE) if undated else 6


class HeadlineList(CursorList):
    """Headlines newest first; the cursor row is highlighted, unread rows are bold."""

    COMPONENT_CLASSES = {
        "headlines--cursor",
        "headlines--unread",
        "headlines--date",
        "headlines--feed",
        "headlines--star",
    }

    class Opened(Message):
        """The user asked to read a headline (Enter or a click)."""

        def __init__(self, headline: Headline) -> None:
            super().__init__()
            self.headline = headline

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: Sequence[Headline] = []
        self.show_feed = True
        self._year = datetime.now(UTC).year
        self.date_width = 0
        self._cache: dict[tuple[object, ...], Strip] = {}

    # --- content ---------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[Headline], keep: Headline | None = None) -> None:
        """Show ``rows``; keep the cursor on ``keep`` if it is among them."""
        self.rows = rows
        first = rows[0].feed if rows else ""
        self.show_feed = any(head.feed != first for head in rows)
        self.date_width = date_width(rows, self._year)
        self._cache.clear()
        self._set_size()
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

    def action_open(self) -> None:
        if self.current is not None:
            self.post_message(self.Opened(self.current))

    def on_resize(self, event: events.Resize) -> None:
        self._cache.clear()

    # --- rendering -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if not 0 <= row < len(self.rows):
            return Strip.blank(width, self.rich_style)
        head = self.rows[row]
        selected = row == self.cursor
        key = (row, id(head), head.rev, head.read, head.starred, selected, self.has_focus,
               width, self.show_feed, self.date_width)
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
        if self.date_width:
            line.append(f"{short_date(head, self._year):<{self.date_width}} ", part("date"))
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
