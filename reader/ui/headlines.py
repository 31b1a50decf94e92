"""The headline list: a virtual list that renders only the rows on screen (see
:class:`CursorList`): a plain list of headlines, a row's strip built only when it is visible."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
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
        self._palettes: dict[tuple[bool, bool, str], _Palette] = {}

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

    def _palette(self, selected: bool) -> _Palette:
        """The row's styles, combined once per focus, theme and cursor state, not per row."""
        key = (selected, self.has_focus, self.app.theme)
        palette = self._palettes.get(key)
        if palette is None:
            base = self.rich_style
            if selected:
                base += self.get_component_rich_style("headlines--cursor")

            def part(name: str) -> Style:
                return base + self.get_component_rich_style(f"headlines--{name}", partial=True)

            palette = self._palettes[key] = _Palette(
                base, part("star"), part("unread"), part("date"), part("feed"),
                base + Style(bold=True),
            )
        return palette

    def _render_row(self, head: Headline, selected: bool, width: int) -> Strip:
        """One row: star, unread marker, date (if any row has one), feed (if rows differ), title;
        every field is plain text, fitted to its cells (wide characters count twice)."""
        styles = self._palette(selected)
        unread = not head.read
        segments = [
            Segment("★" if head.starred else " ", styles.star),
            Segment("● " if unread else "  ", styles.unread),
        ]
        used = 3
        if self.date_width:
            date = short_date(head, self._year)
            segments.append(Segment(f"{date:<{self.date_width}} ", styles.date))
            used += self.date_width + 1
        if self.show_feed:
            feed_width = min(FEED_WIDTH, width // 6)
            segments.append(Segment(fit(clean(head.feed), feed_width), styles.feed))
            segments.append(Segment(" ", styles.base))
            used += feed_width + 1
        if width > used:
            title = fit(clean(head.title[:width]), width - used)
            segments.append(Segment(title, styles.title if unread else styles.base))
        return Strip(segments).crop_extend(0, width, styles.base)


class _Palette(NamedTuple):
    base: Style
    star: Style
    unread: Style
    date: Style
    feed: Style
    title: Style  # an unread title: bold


def fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells: padded, or cut with an ellipsis."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)
