"""The feeds pane: All, Unread, Starred, each tag and each feed, with unread counts.

Choosing an entry sets the main screen's :class:`View`, which filters the headline list. The
counts are tallied once per store change in the store lane (:func:`tally`) and kept current
one flag at a time by the main screen; the pane only draws the rows on screen, so a store
following thousands of feeds costs nothing more per key. Feed titles, tags, URLs and errors
come from feeds: every one is cleaned and drawn as plain text, never as markup.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.strip import Strip
from textual.widgets import Static

from reader.article import Headline
from reader.schema import Record, feed_name
from reader.text import clean
from reader.ui.cursor_list import CursorList

Kind = Literal["all", "unread", "starred", "tag", "feed"]
FAILED, GONE = "!", "×"  # the marks of a feed whose last fetch failed, and of a 410 Gone feed


@dataclass(frozen=True)
class View:
    """Which articles the headline list shows: a kind, and the tag or feed id it names."""

    kind: Kind = "all"
    key: str = ""


ALL = View()


@dataclass
class Tally:
    """One feed's articles: how many, how many unread, how many starred."""

    total: int = 0
    unread: int = 0
    starred: int = 0


def tally(heads: Iterable[Headline]) -> dict[str, Tally]:
    """Counts per feed id, in one pass over the headlines (the store lane's work)."""
    counts: dict[str, Tally] = {}
    for head in heads:
        counted = counts.get(head.feed_id)
        if counted is None:
            counted = counts[head.feed_id] = Tally()
        counted.total += 1
        if not head.read:
            counted.unread += 1
        if head.starred:
            counted.starred += 1
    return counts


def in_view(
    heads: list[Headline], view: View, feeds: Sequence[Record], kept: frozenset[str]
) -> list[Headline]:
    """The headlines ``view`` shows, in the store's order. ``kept`` are ids that stay in an
    Unread or Starred view while it is on screen, though read or unstarred meanwhile: the list
    does not shrink under the cursor. All is the store's own list (no copy)."""
    if view.kind == "all":
        return heads
    if view.kind == "unread":
        return [h for h in heads if not h.read or h.id in kept]
    if view.kind == "starred":
        return [h for h in heads if h.starred or h.id in kept]
    if view.kind == "tag":
        ids = {f["id"] for f in feeds if view.key in f["tags"]}
        return [h for h in heads if h.feed_id in ids]
    return [h for h in heads if h.feed_id == view.key]


@dataclass(frozen=True)
class Entry:
    """One row of the pane, everything in it already cleaned."""

    view: View
    name: str
    count: int  # unread articles (starred ones for Starred)
    mark: str = ""  # FAILED, GONE or nothing
    detail: str = ""  # the pane's detail line when this row has the cursor
    error: str = ""  # the feed's last error, shown in the detail line


def _ago(when: int | None, now: float) -> str:
    """When the last fetch that worked was (a failed fetch leaves the time as it was)."""
    if when is None:
        return "no fetch has worked yet"
    minutes = int(now - when) // 60
    if minutes < 1:
        return "fetched just now"
    if minutes < 120:
        return f"fetched {minutes} min ago"
    if minutes < 48 * 60:
        return f"fetched {minutes // 60} h ago"
    return f"fetched {minutes // (24 * 60)} days ago"


def entries(
    feeds: Sequence[Record], tallies: Mapping[str, Tally], now: float | None = None
) -> list[Entry]:
    """The pane's rows: All, Unread, Starred, the tags (A-Z), the feeds (A-Z by name).

    A feed is listed while it is followed or holds articles (a one-shot import)."""
    now = time.time() if now is None else now
    none = Tally()
    total = sum(t.total for t in tallies.values())
    unread = sum(t.unread for t in tallies.values())
    starred = sum(t.starred for t in tallies.values())
    rows = [
        Entry(ALL, "All", unread, detail=f"every article\n{unread} unread of {total}"),
        Entry(View("unread"), "Unread", unread, detail=f"{unread} unread articles"),
        Entry(View("starred"), "Starred", starred, detail=f"{starred} starred articles"),
    ]
    listed = [f for f in feeds if f["subscribed"] or tallies.get(f["id"], none).total]
    tags: dict[str, list[Tally]] = {}
    for feed in listed:
        for tag in feed["tags"]:
            tags.setdefault(tag, []).append(tallies.get(feed["id"], none))
    for tag in sorted(tags, key=str.casefold):
        tagged = tags[tag]
        name, tag_unread = clean(tag), sum(t.unread for t in tagged)
        rows.append(Entry(
            View("tag", tag), f"#{name}", tag_unread,
            detail=f"#{name}: {len(tagged)} feeds\n{tag_unread} unread of "
                   f"{sum(t.total for t in tagged)}",
        ))
    named = sorted(((clean(feed_name(f)), f) for f in listed), key=lambda p: p[0].casefold())
    for name, feed in named:
        counted = tallies.get(feed["id"], none)
        mark, error = "", ""
        if feed["gone"]:
            mark, error = GONE, "gone (410): no longer fetched"
        elif feed["error"]:
            mark, error = FAILED, clean(feed["error"])
        if not feed["subscribed"]:
            state = "imported once, not followed"
        else:
            state = _ago(feed["fetched"], now)
        if feed["full_text"]:
            state += " · whole articles"
        tags_shown = "".join(f" #{clean(t)}" for t in feed["tags"])
        rows.append(Entry(
            View("feed", feed["id"]), name, counted.unread, mark,
            detail=f"{clean(feed['url'])}\n{counted.unread} unread of {counted.total}\n"
                   f"{state}{tags_shown}",
            error=error,
        ))
    return rows


class FeedList(CursorList):
    """The rows of the feeds pane; Enter or a click chooses one."""

    COMPONENT_CLASSES = {
        "feeds--cursor",
        "feeds--chosen",
        "feeds--count",
        "feeds--failed",
        "feeds--gone",
    }

    class Chosen(Message):
        """The user chose an entry: the headline list shows its articles."""

        def __init__(self, view: View) -> None:
            super().__init__()
            self.view = view

    class Highlighted(Message):
        """The cursor moved to another entry (or the entries changed)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: Sequence[Entry] = []
        self.chosen: View = ALL
        self._cache: dict[tuple[object, ...], Strip] = {}

    def set_entries(self, rows: Sequence[Entry], chosen: View) -> None:
        """Show ``rows``; the cursor stays on the entry it was on, else goes to the chosen."""
        here = self.current.view if self.current is not None else chosen
        self.rows, self.chosen = rows, chosen
        self._cache.clear()
        self._set_size()
        self.cursor = next((i for i, e in enumerate(rows) if e.view == here),
                           next((i for i, e in enumerate(rows) if e.view == chosen), 0))
        self.refresh()

    @property
    def current(self) -> Entry | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def watch_cursor(self, old: int, new: int) -> None:
        super().watch_cursor(old, new)
        self.post_message(self.Highlighted())

    def action_open(self) -> None:
        if self.current is not None:
            self.chosen = self.current.view
            self._cache.clear()
            self.refresh()
            self.post_message(self.Chosen(self.current.view))

    def on_resize(self, event: events.Resize) -> None:
        self._cache.clear()

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if not 0 <= row < len(self.rows):
            return Strip.blank(width, self.rich_style)
        entry = self.rows[row]
        selected, chosen = row == self.cursor, entry.view == self.chosen
        key = (row, entry, selected, chosen, self.has_focus, width)
        strip = self._cache.get(key)
        if strip is None:
            if len(self._cache) > 1000:
                self._cache.clear()
            strip = self._cache[key] = self._render_row(entry, selected, chosen, width)
        return strip

    def _render_row(self, entry: Entry, selected: bool, chosen: bool, width: int) -> Strip:
        """One row: the failure mark, the name, the unread count at the right edge."""
        base = self.rich_style
        if selected:
            base += self.get_component_rich_style("feeds--cursor")

        def part(name: str) -> Style:
            return self.get_component_rich_style(f"feeds--{name}", partial=True)

        count = str(entry.count) if entry.count else ""
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        mark = Style() if selected else part("gone" if entry.mark == GONE else "failed")
        line.append(entry.mark or " ", mark)  # plain on the cursor's background: readable
        name = Text(entry.name, no_wrap=True, overflow="ellipsis", end="")
        name.truncate(max(width - 2 - len(count) - 1, 1), overflow="ellipsis", pad=True)
        name_style = part("chosen") if chosen else Style()
        if entry.count:
            name_style += Style(bold=True)
        name.stylize(name_style)
        line.append(" ")
        line.append_text(name)
        line.append(" ")
        line.append(count, part("count"))
        line.truncate(width, overflow="ellipsis", pad=True)
        segments = [
            Segment(text, base + style if style else base)
            for text, style, _ in line.render(self.app.console)
        ]
        return Strip(segments).crop_extend(0, width, base)


class FeedsPane(Vertical):
    """The feeds list over a detail line that says where the highlighted feed is and why it
    failed: a column on wide terminals, a picker (``f``) on narrow ones."""

    def compose(self) -> ComposeResult:
        yield FeedList(id="feed-list")
        yield Static(id="feed-detail", markup=False)
        yield Static(id="feed-error", markup=False)

    def on_mount(self) -> None:
        self.border_title = "Feeds"

    @property
    def list(self) -> FeedList:
        return self.query_one(FeedList)

    def set_entries(self, rows: Sequence[Entry], chosen: View) -> None:
        self.list.set_entries(rows, chosen)
        self._detail()

    def on_feed_list_highlighted(self, message: FeedList.Highlighted) -> None:
        message.stop()
        self._detail()

    def _detail(self) -> None:
        entry = self.list.current
        detail, error = (entry.detail, entry.error) if entry is not None else ("", "")
        self.query_one("#feed-detail", Static).update(Text(detail))
        shown = self.query_one("#feed-error", Static)
        shown.update(Text(f"{entry.mark} {error}" if entry is not None and error else ""))
        shown.display = bool(error)
