"""The article pane: one article as plain text, with search matches highlighted."""

from __future__ import annotations

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


def render_article(head: Headline, content: Content, query: Query) -> Text:
    """The whole article as one Text: title, meta, link, standfirst, body, continue link."""
    when = head.published_at.strftime("%a %d %b %Y %H:%M UTC") if head.published_at else "no date"
    link = clean(head.link)
    header = Text(end="")
    header.append_text(_paragraph(head.title, query, Style(bold=True)))
    header.append("\n" + clean(" · ".join(p for p in (head.feed, when, head.author) if p)), "dim")
    header.append("\n" + (link or "no link"), "underline" if link else "dim")
    parts = [header]
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

    BINDINGS = [
        Binding("space", "page_down", "Page", show=False),
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
        Binding("g", "scroll_home", "Top", show=False),
        Binding("G", "scroll_end", "Bottom", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.headline: Headline | None = None
        self.text = Text()

    def compose(self) -> ComposeResult:
        yield Static(Text("Select a headline and press Enter to read it.", style="dim"),
                     id="article-text")

    def show(self, head: Headline, content: Content, query: Query) -> None:
        self.headline = head
        self.text = render_article(head, content, query)
        self.query_one("#article-text", Static).update(self.text)
        self.scroll_home(animate=False)
