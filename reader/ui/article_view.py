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

MAX_SHOWN = 200_000  # characters of body shown; a 10 MB body would only stall the terminal
MATCH = Style(reverse=True, bold=True)


def _paragraph(text: str, query: Query, style: Style | None = None) -> Text:
    """Feed text as a Text object: never parsed as markup, matches highlighted."""
    paragraph = Text(text, style=style or "", end="")
    for start, end in highlights(text, query):
        paragraph.stylize(MATCH, start, end)
    return paragraph


def render_article(head: Headline, content: Content, query: Query) -> Text:
    """The whole article as one Text: title, meta, link, standfirst, body, continue link."""
    when = head.published_at.strftime("%a %d %b %Y %H:%M UTC") if head.published_at else "no date"
    header = Text(end="")
    header.append_text(_paragraph(head.title, query, Style(bold=True)))
    header.append("\n" + " · ".join(p for p in (head.feed, when, head.author) if p), "dim")
    header.append("\n" + (head.link or "no link"), "underline" if head.link else "dim")
    parts = [header]
    if content.standfirst:
        parts.append(_paragraph(content.standfirst, query, Style(italic=True, bold=True)))
    shown = 0
    for paragraph in content.body:
        if shown > MAX_SHOWN:
            parts.append(Text("[article cut here for display: it is too long]", style="dim"))
            break
        parts.append(_paragraph(paragraph, query))
        shown += len(paragraph)
    if head.link:
        parts.append(Text.assemble(("Continue reading: ", "bold"), (head.link, "underline")))
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
