"""The article pane: one article as plain text, with search matches highlighted."""

from __future__ import annotations

from urllib.parse import urlsplit

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from reader.article import Content, Headline
from reader.search import Query, highlights
from reader.text import clean

MAX_SHOWN = 100_000  # characters shown; more would only stall the terminal
MAX_MARKS = 300  # highlighted matches per paragraph; past that, highlighting costs seconds
MATCH = Style(reverse=True, bold=True)


def _paragraph(text: str, query: Query, style: Style | None = None) -> Text:
    """Stored text as a Text object: cleaned again (a store may be written by hand), never
    parsed as markup, matches highlighted."""
    text = clean(text)
    paragraph = Text(text, style=style or "", end="")
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


def render_article(head: Headline, content: Content | None, query: Query) -> Text:
    """The whole article as one Text: title, meta, standfirst, body, continue link; with no
    content yet, the title and meta over a loading line."""
    link = clean(head.link)
    header = Text(end="")
    header.append_text(_paragraph(head.title, query, Style(bold=True)))
    header.append("\n" + meta_line(head), "dim")
    parts = [header]
    if content is None:
        parts.append(Text("loading…", style="dim"))
        content = Content(standfirst="", body=[])
        link = ""
    left = MAX_SHOWN
    for paragraph, style in [
        (content.standfirst, Style(italic=True, bold=True)),
        *((p, None) for p in content.body),
    ]:
        if not paragraph:
            continue
        if left <= 0:
            parts.append(Text("[the rest of this article is too long to show]", style="dim"))
            break
        parts.append(_paragraph(paragraph[:left], query, style))
        left -= len(paragraph)
    if link:
        parts.append(Text.assemble(("Continue reading: ", "bold"), (link, "underline")))
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
        self.text = Text()

    def compose(self) -> ComposeResult:
        yield Static(Text("Select a headline and press Enter to read it.", style="dim"),
                     id="article-text")

    def show(self, head: Headline, content: Content | None, query: Query) -> None:
        """Show ``head`` (``content`` None while it loads), from the top."""
        self.headline, self.content = head, content
        self._draw(query)
        self.scroll_home(animate=False)

    def highlight(self, query: Query) -> None:
        """Draw the open article again for a new search, where the reader had scrolled to."""
        if self.headline is not None:
            self._draw(query)

    def _draw(self, query: Query) -> None:
        assert self.headline is not None
        self.text = render_article(self.headline, self.content, query)
        self.query_one("#article-text", Static).update(self.text)
        self.border_title = Text(clean(self.headline.feed))  # a str would be read as markup
