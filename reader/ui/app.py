"""The reader app: search bar, headline list and article pane over one :class:`Store`.

Anything that can take long (opening a big store, building the search index, searching) runs
in a thread worker that posts a message back, so keys are answered while it works.
"""

from __future__ import annotations

import contextlib
import threading
from importlib.resources import files
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Footer
from textual.worker import get_current_worker

from reader.article import Headline
from reader.errors import ReaderError
from reader.links import openable, refusal
from reader.search import Query, Searcher, SearchIndex
from reader.seed import parse_seed
from reader.store import Store
from reader.text import clean
from reader.ui.article_view import ArticleView
from reader.ui.headlines import HeadlineList
from reader.ui.help_screen import HelpScreen
from reader.ui.search_bar import SearchBar


class StoreOpened(Message):
    def __init__(self, store: Store, seeded: int) -> None:
        super().__init__()
        self.store = store
        self.seeded = seeded


class StoreFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class IndexProgress(Message):
    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class SearchDone(Message):
    def __init__(self, text: str, generation: int, found: list[Headline]) -> None:
        super().__init__()
        self.text = text
        self.generation = generation
        self.found = found


def bundled_seed() -> bytes:
    """The seed articles shipped inside the package, so a wheel install has them too."""
    return files("reader").joinpath("data/seed.txt").read_bytes()


class ReaderApp(App[None]):
    """Read the store: type to search, Enter to read, n for the next unread article."""

    CSS_PATH = "reader.tcss"
    TITLE = "reader"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Keys", key_display="?"),
        Binding("slash", "focus_search", "Search", key_display="/"),
        Binding("n", "next_unread(1)", "Next unread"),
        Binding("p", "next_unread(-1)", "Previous unread", show=False),
        Binding("r", "toggle_read", "Read"),
        Binding("s", "toggle_star", "Star"),
        Binding("o", "open_link", "Browser"),
        Binding("space", "page_article", "Page article", show=False),
        Binding("escape", "to_list", "Back to list", show=False),
    ]

    def __init__(self, store_path: Path, *, refresh_seconds: float = 3.0) -> None:
        super().__init__()
        self.store_path = store_path
        self.store: Store | None = None
        self.index = SearchIndex()
        self.searcher = Searcher(self.index)
        self.query_text = ""
        self._search_lock = threading.Lock()
        self._refresh_seconds = refresh_seconds
        self._indexed = -1  # the store's articles_generation the search index was built from

    def compose(self) -> ComposeResult:
        yield SearchBar(id="search")
        with Horizontal(id="panes"):
            yield HeadlineList(id="headlines")
            yield ArticleView(id="article")
        yield Footer()

    @property
    def headlines(self) -> HeadlineList:
        return self.query_one(HeadlineList)

    @property
    def article(self) -> ArticleView:
        return self.query_one(ArticleView)

    def on_mount(self) -> None:
        self.headlines.border_title = "loading…"
        self.headlines.set_rows(Store.first_screen(self.store_path))
        self.headlines.focus()
        self.open_store()

    # --- loading ---------------------------------------------------------------------------

    @work(thread=True, group="store")
    def open_store(self) -> None:
        try:
            store = Store.open(self.store_path)
            seeded = 0
            if len(store) == 0:
                items = parse_seed(bundled_seed(), "bundled seed", feed="seed")
                seeded = store.merge(items, authoritative=False).added
            store.headlines()
        except ReaderError as error:
            self.post_message(StoreFailed(str(error)))
            return
        self.post_message(StoreOpened(store, seeded))

    def on_store_opened(self, message: StoreOpened) -> None:
        self.store = message.store
        if message.seeded:
            self.notify(
                f"First run: added {message.seeded} bundled articles to the store at "
                f"{self.store_path}. Import your own with `reader import FILE|URL`.",
                title="Welcome",
                markup=False,
                timeout=8,
            )
        self.show_rows()
        # Index once the first headlines are on screen: it competes with the paint for the GIL.
        self.set_timer(0.3, self.build_index)
        self.set_interval(self._refresh_seconds, self.check_store)

    def on_store_failed(self, message: StoreFailed) -> None:
        self.headlines.set_rows([])
        self.headlines.border_title = "no store"
        self.notify(
            f"{message.error}. Nothing was changed. Run `reader repair` to salvage the articles, "
            "or `reader reset` to set the store aside and start afresh.",
            title="Cannot open the store",
            severity="error",
            markup=False,
            timeout=30,
        )

    def on_unmount(self) -> None:
        if self.store is not None:
            with contextlib.suppress(ReaderError):  # only a cache for the next start-up
                self.store.save_first_screen()

    def check_store(self) -> None:
        """Pick up what another process (say `reader import`) wrote since we last looked."""
        if self.store is None:
            return
        try:
            changed = self.store.refresh()
        except ReaderError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        if changed:
            self.show_rows()
            if self.store.articles_generation != self._indexed:
                self.build_index()  # new or changed text; a flag change needs no new index

    @work(thread=True, exclusive=True, group="index")
    def build_index(self) -> None:
        store = self.store
        if store is None:
            return
        worker = get_current_worker()
        self._indexed = store.articles_generation
        index = SearchIndex()
        heads = store.headlines()
        index.add_titles(heads)
        # Swap now, not when done: a rebuild must not hold two indexes in memory. Searches
        # meanwhile see titles and whatever text is in (the index is safe to share).
        self.index, self.searcher = index, Searcher(index)
        total = len(heads)
        for done, (head, content) in enumerate(store.contents(), 1):
            if worker.is_cancelled:
                return
            index.add(head, content)
            if done % 5000 == 0:
                self.post_message(IndexProgress(done, total))
        index.complete = True
        self.post_message(IndexProgress(total, total))

    def on_index_progress(self, message: IndexProgress) -> None:
        bar = self.query_one(SearchBar)
        if message.done < message.total:
            bar.border_subtitle = f"indexing {100 * message.done // max(message.total, 1)}%"
        else:
            bar.border_subtitle = ""
            if self.query_text:
                self.run_search(self.query_text)

    # --- the list --------------------------------------------------------------------------

    def show_rows(self) -> None:
        """Show every headline, or, while a search is typed, that search's matches."""
        if self.store is None:
            return
        if self.query_text:
            self.run_search(self.query_text)
            return
        everything = self.store.headlines()
        self.headlines.set_rows(everything, keep=self.headlines.current)
        self.headlines.border_title = f"{len(everything)} of {len(everything)}"

    def on_input_changed(self, event: SearchBar.Changed) -> None:
        self.query_text = event.value
        if self.store is not None:
            self.run_search(event.value)

    def on_input_submitted(self, event: SearchBar.Submitted) -> None:
        self.headlines.focus()

    def on_search_bar_left(self, event: SearchBar.Left) -> None:
        self.headlines.focus()

    @work(thread=True, exclusive=True, group="search")
    def run_search(self, text: str) -> None:
        store = self.store
        if store is None:
            return
        worker = get_current_worker()
        with self._search_lock:
            if worker.is_cancelled:
                return
            generation = store.generation
            found = self.searcher.search(
                text, store.headlines(), generation, lambda: worker.is_cancelled
            )
        if found is not None and not worker.is_cancelled:
            self.post_message(SearchDone(text, generation, found))

    def on_search_done(self, message: SearchDone) -> None:
        if message.text != self.query_text or self.store is None:
            return
        self.headlines.set_rows(message.found, keep=self.headlines.current)
        self.headlines.border_title = f"{len(message.found)} of {len(self.store)}"
        if self.article.headline is not None:
            self.show_article(self.article.headline)

    # --- reading ---------------------------------------------------------------------------

    def on_headline_list_opened(self, message: HeadlineList.Opened) -> None:
        self.open_article(message.headline)

    def open_article(self, head: Headline) -> None:
        self.show_article(head)
        self.article.focus()
        if not head.read:
            self._set_flag(head, read=True)

    def show_article(self, head: Headline) -> None:
        if self.store is None:
            return
        try:
            content = self.store.content(head.id)
        except (ReaderError, KeyError) as error:
            self.notify(f"cannot show this article: {error}", severity="error", markup=False)
            return
        self.article.show(head, content, Query.parse(self.query_text))
        self.article.border_title = Text(clean(head.feed))  # a string would be read as markup

    def _set_flag(self, head: Headline, **flag: bool) -> None:
        """Write a flag durably; on failure say so and leave the row as it was."""
        if self.store is None:
            return
        try:
            if "read" in flag:
                self.store.set_read(head.id, flag["read"])
            if "starred" in flag:
                self.store.set_starred(head.id, flag["starred"])
        except ReaderError as error:
            self.notify(str(error), title="Not saved", severity="error", markup=False)
        self.headlines.refresh_current()

    def _target(self) -> Headline | None:
        """The article an action applies to: the open one when reading, else the cursor's."""
        if self.focused is self.article and self.article.headline is not None:
            return self.article.headline
        return self.headlines.current

    def action_toggle_read(self) -> None:
        head = self._target()
        if head is not None:
            self._set_flag(head, read=not head.read)

    def action_toggle_star(self) -> None:
        head = self._target()
        if head is not None:
            self._set_flag(head, starred=not head.starred)

    def action_next_unread(self, direction: int) -> None:
        rows = self.headlines.rows
        start = self.headlines.cursor
        if self.article.headline is not self.headlines.current:
            start -= direction  # nothing open at the cursor yet: it may be the one we want
        position = start + direction
        while 0 <= position < len(rows):
            if not rows[position].read:
                self.headlines.cursor = position
                self.open_article(rows[position])
                return
            position += direction
        self.notify("No more unread articles " + ("below" if direction > 0 else "above"))

    def action_open_link(self) -> None:
        head = self._target()
        if head is None:
            return
        url = openable(head.link)
        if url is None:
            self.notify(refusal(head.link), severity="warning", markup=False)
            return
        self.open_url(url)
        self.notify(f"Opening {url}", markup=False)

    def action_page_article(self) -> None:
        self.article.scroll_page_down()

    def action_focus_search(self) -> None:
        # set_focus moves focus now; focus() would wait, and keys typed right after `/`
        # would reach the list as commands.
        self.screen.set_focus(self.query_one(SearchBar))

    def action_to_list(self) -> None:
        self.headlines.focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen([b for b in self.BINDINGS if isinstance(b, Binding)]))
