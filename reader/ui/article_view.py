"""The article pane: one article as plain text, with search matches highlighted.

An article fetched whole (``reader fulltext``, ``F``) is shown whole by default, its links
numbered in the text and listed at the end; ``t`` shows the feed's own text instead. One dim
line under the title says which text this is, and why there is no whole article when a fetch
failed: the reason is shown there once, never in the text itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from reader.article import Content, Headline
from reader.links import openable
from reader.search import Query, highlights
from reader.text import clean

MAX_SHOWN = 100_000  # characters shown; more would only stall the terminal
MAX_MARKS = 300  # highlighted matches per paragraph; past that, highlighting costs seconds
MATCH = Style(reverse=True, bold=True)
NOTE = Style(dim=True, italic=True)
MARKER = Style(dim=True)  # a link's number in the text
PICTURE = Style(dim=True, italic=True)
_MARKERS = re.compile(r" \[\d+\]")
# The keys the status line names; the screen passes the ones in effect (a keymap may rebind).
KEYS = {"toggle": "t", "fetch": "F", "links": "L"}


def _paragraph(text: str, query: Query, style: Style | None = None) -> Text:
    """Stored text as a Text object: cleaned again (a store may be written by hand), never
    parsed as markup, link numbers dimmed, matches highlighted."""
    text = clean(text)
    if text.startswith("[image"):
        style = PICTURE
    paragraph = Text(text, style=style or "", end="")
    for marker in _MARKERS.finditer(text):
        paragraph.stylize(MARKER, marker.start(), marker.end())
    for start, end in highlights(text, query)[:MAX_MARKS]:
        paragraph.stylize(MATCH, start, end)
    return paragraph


def meta_line(head: Headline) -> str:
    """One compact line under the title: date · author · site. The feed is in the pane's
    border and the whole link closes the article, so neither costs a line here."""
    when = head.published_at.strftime("%d %b %Y %H:%M") if head.published_at else ""
    site = ""
    if head.link:
        try:
            site = (urlsplit(head.link).hostname or "").removeprefix("www.")
        except ValueError:
            site = ""
    return clean(" · ".join(p for p in (when, head.author, site) if p)) or "no date, no author"


def status_line(
    head: Headline, content: Content | None, *, whole: bool, fetching: bool,
    keys: Mapping[str, str] = KEYS,
) -> str:
    """Which text the pane shows, and the key that changes it; "" for the feed's text of an
    article never fetched whole (at 80x24 every line counts: the closing line has the hint)."""
    if content is None:
        return "loading…"
    if fetching:
        return "fetching the whole article from its page…"
    full = content.full_text
    if full is not None and whole:
        count = len(content.links)
        links = (f" · {keys['links']}: its {count} link{'s' * (count != 1)}"
                 if count else "")
        return f"the whole article, from its page ({keys['toggle']}: the feed's text{links})"
    if full is not None:
        return (f"the feed's text ({keys['toggle']}: the whole article, "
                f"{len(full)} paragraphs)")
    if content.full_text_error is not None:
        return f"no whole article: {clean(content.full_text_error)} ({keys['fetch']} tries again)"
    return ""


def render_article(
    head: Headline, content: Content | None, query: Query, *, whole: bool = True,
    fetching: bool = False, keys: Mapping[str, str] = KEYS,
) -> Text:
    """The whole article as one Text: title, meta, which text this is, then the text (the
    whole article, or the feed's standfirst and body), its links, and where it comes from."""
    link = clean(head.link)
    header = Text(end="")
    header.append_text(_paragraph(head.title, query, Style(bold=True)))
    header.append("\n" + meta_line(head), "dim")
    status = status_line(head, content, whole=whole, fetching=fetching, keys=keys)
    if status:
        header.append("\n" + status, NOTE)
    parts = [header]
    if content is None:
        content = Content(standfirst="", body=[])
        link = ""
    showing_full = content.full_text is not None and whole
    paragraphs: list[tuple[str, Style | None]]
    if showing_full:
        paragraphs = [(p, None) for p in content.full_text or ()]
    else:
        paragraphs = [(content.standfirst, Style(italic=True, bold=True)),
                      *((p, None) for p in content.body)]
    left = MAX_SHOWN
    for paragraph, style in paragraphs:
        if not paragraph:
            continue
        if left <= 0:
            parts.append(Text("[the rest of this article is too long to show]", style="dim"))
            break
        parts.append(_paragraph(paragraph[:left], query, style))
        left -= len(paragraph)
    if showing_full and content.links:
        listed = Text(end="")
        listed.append("Links", "bold")
        for number, target in enumerate(content.links, 1):
            listed.append(f"\n[{number}] ", MARKER)
            listed.append(clean(target), "underline")
        parts.append(listed)
    if link:
        label = "From: " if showing_full else "Continue reading: "
        closing = Text.assemble((label, "bold"), (link, "underline"))
        if content.full_text is None and content.full_text_error is None and openable(link):
            closing.append(f" ({keys['fetch']} fetches the whole article)", NOTE)
        parts.append(closing)
    article = Text(end="")
    for part in parts:
        article.append_text(part)
        article.append("\n\n")
    article.rstrip()
    return article


class ArticleView(VerticalScroll, can_focus=True):
    """Scrolls the open article; space pages, like a pager."""

    # Same ids and words as the lists' keys (see CursorList): one row each in the help.
    # Space pages the article from anywhere: it is the screen's key, not this pane's.
    BINDINGS = [
        Binding("j,down", "scroll_down", "Down", show=False, id="reader.down",
                tooltip="Next headline or feed; scroll the article down"),
        Binding("k,up", "scroll_up", "Up", show=False, id="reader.up",
                tooltip="Previous headline or feed; scroll the article up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="reader.page_down",
                tooltip="Page the list or the article down"),
        Binding("pageup", "page_up", "Page up", show=False, id="reader.page_up",
                tooltip="Page the list or the article up"),
        Binding("g,home", "scroll_home", "First", show=False, id="reader.first",
                tooltip="First headline or feed; top of the article"),
        Binding("G,end", "scroll_end", "Last", show=False, id="reader.last",
                tooltip="Last headline or feed; end of the article"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.headline: Headline | None = None
        self.content: Content | None = None
        self.whole = True  # the whole article when there is one, else the feed's text
        self.fetching = False  # its page is being fetched
        self.keys: Mapping[str, str] = KEYS
        self.text = Text()

    def compose(self) -> ComposeResult:
        yield Static(Text("Select a headline and press Enter to read it.", style="dim"),
                     id="article-text")

    @property
    def has_whole(self) -> bool:
        return self.content is not None and self.content.full_text is not None

    def show(self, head: Headline, content: Content | None, query: Query, *,
             fetching: bool = False) -> None:
        """Show ``head`` (``content`` None while it loads), from the top; an article opened
        (again) starts on its whole text."""
        if content is None or self.headline is None or head.id != self.headline.id:
            self.whole = True
        self.headline, self.content, self.fetching = head, content, fetching
        self._draw(query)
        self.scroll_home(animate=False)

    def update(self, content: Content | None, query: Query, *, fetching: bool) -> None:
        """New text or a new state for the open article, where the reader had scrolled to."""
        self.content, self.fetching = content, fetching
        self.highlight(query)

    def toggle_whole(self, query: Query) -> None:
        """The whole article or the feed's text, from the top."""
        self.whole = not self.whole
        self.highlight(query)
        self.scroll_home(animate=False)

    def highlight(self, query: Query) -> None:
        """Draw the open article again for a new search, where the reader had scrolled to."""
        if self.headline is not None:
            self._draw(query)

    def _draw(self, query: Query) -> None:
        assert self.headline is not None
        self.text = render_article(self.headline, self.content, query, whole=self.whole,
                                   fetching=self.fetching, keys=self.keys)
        self.query_one("#article-text", Static).update(self.text)
        self.border_title = Text(clean(self.headline.feed))  # a str would be read as markup
