"""The dialogs the main screen pushes: the article's links, a page to save, a feed's settings.

Each is a modal screen that returns what the user chose (``dismiss``) and touches nothing
else: the main screen acts on the answer. Their inputs are their own (the search bar's
messages are scoped to it), and everything they show that came from a feed is plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, OptionList, Static
from textual.widgets.option_list import Option

from reader.links import openable
from reader.schema import KEEP_DAYS, Record, feed_name, feed_tags
from reader.text import clean


class LinkList(OptionList):
    """The links, moved through with j and k as well (the ids of every list's keys)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="reader.down"),
        Binding("k", "cursor_up", "Up", show=False, id="reader.up"),
    ]


class LinksScreen(ModalScreen[str | None]):
    """The article's own page and the links its text numbers: Enter opens one."""

    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="reader.dialog.close"),
    ]

    def __init__(self, title: str, links: Sequence[tuple[str, str]]) -> None:
        """``links``: (label, url) each, in the order shown; the label is ours, the url the
        feed's or the page's."""
        super().__init__()
        self.title_text = clean(title)
        self.links = list(links)

    def compose(self) -> ComposeResult:
        options = []
        for number, (label, url) in enumerate(self.links):
            prompt = Text(overflow="fold", end="")  # a long URL wraps, whole
            prompt.append(f"{label} ", "bold")
            prompt.append(clean(url) or "(no link)")
            if openable(url) is None:
                prompt.append("  not http or https: not opened", "dim italic")
            options.append(Option(prompt, id=str(number)))
        with Vertical(id="links", classes="dialog"):
            yield Static(Text(f"Links of “{self.title_text}”", style="bold",
                              no_wrap=True, overflow="ellipsis"), classes="dialog-title")
            yield LinkList(*options, markup=False, id="link-list")
            yield Static(Text("Enter opens the link in a browser · Esc closes", style="dim"),
                         classes="dialog-hint")

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.links[int(event.option_id or 0)][1])


class SavePageScreen(ModalScreen[str | None]):
    """Asks for the URL of a web page to keep as an article of the Saved feed."""

    BINDINGS = [
        Binding("escape", "dismiss", "Cancel", id="reader.dialog.cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="save-page", classes="dialog"):
            yield Static("Save a web page to read later", classes="dialog-title")
            yield Input(placeholder="https://…", id="save-url")
            yield Static(id="save-error", classes="dialog-error", markup=False)
            yield Static(Text("Enter saves it (the whole article, into the Saved feed) · "
                              "Esc cancels", style="dim"), classes="dialog-hint")

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_one("#save-error", Static).update("")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        url = event.value.strip()
        if openable(url) is None:
            shown = clean(url)[:60] or "nothing"
            self.query_one("#save-error", Static).update(
                Text(f"{shown!r} is not an http or https URL", style="bold"))
            return
        self.dismiss(url)


@dataclass(frozen=True)
class FeedSettings:
    """What the settings dialog gives back: the feed's new settings."""

    feed_id: str
    full_text: bool
    tags: list[str]
    keep_days: int | None  # None: the settings file's keep_days


class FeedSettingsScreen(ModalScreen[FeedSettings | None]):
    """A feed's settings: whole articles on or off, its tags, how long read articles stay."""

    BINDINGS = [
        # Priority: Enter saves from any field (the checkbox would take it as a toggle).
        Binding("enter", "save", "Save", priority=True, id="reader.dialog.save"),
        Binding("escape", "dismiss", "Cancel", id="reader.dialog.cancel"),
    ]

    def __init__(self, feed: Record, default_keep: int) -> None:
        super().__init__()
        self.feed = feed
        self.default_keep = default_keep

    def compose(self) -> ComposeResult:
        feed = self.feed
        followed = "" if feed["subscribed"] else " (imported once, not followed)"
        with Vertical(id="feed-settings", classes="dialog"):
            yield Static(Text(clean(feed_name(feed)), style="bold", no_wrap=True,
                              overflow="ellipsis"), classes="dialog-title")
            yield Static(Text(clean(feed["url"]) + followed, style="dim", no_wrap=True,
                              overflow="ellipsis"))
            yield Checkbox(Text("Whole articles: fetch each new article's page at refresh"),
                           value=bool(feed["full_text"]), id="settings-full-text")
            yield Static("Tags, separated by commas:", classes="dialog-label")
            yield Input(", ".join(feed["tags"]), id="settings-tags")
            yield Static(f"Keep read articles this many days (empty: {self.default_keep}, "
                         "from the settings file):", classes="dialog-label")
            keep = feed["keep_days"]
            yield Input("" if keep is None else str(keep), id="settings-keep", type="integer")
            yield Static(id="settings-error", classes="dialog-error", markup=False)
            yield Static(Text("Enter saves · Esc cancels · Space switches whole articles · "
                              "Tab moves", style="dim"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Checkbox).focus()

    def action_save(self) -> None:
        error = self.query_one("#settings-error", Static)
        try:
            tags = feed_tags(self.query_one("#settings-tags", Input).value.split(","),
                             skip_empty=True)
        except ValueError as problem:
            error.update(Text(f"tags: {problem}", style="bold"))
            return
        typed = self.query_one("#settings-keep", Input).value.strip()
        keep: int | None = None
        if typed:
            low, high = KEEP_DAYS
            if not typed.isdigit() or not low <= int(typed) <= high:
                error.update(Text(f"keep: a whole number of days from {low} to {high}, "
                                  "or empty for the default", style="bold"))
                return
            keep = int(typed)
        self.dismiss(FeedSettings(self.feed["id"], self.query_one(Checkbox).value, tags, keep))
