"""The main screen: search bar, headline list, article pane and footer over one :class:`Store`.

Threading: the UI thread never touches the disk. Store calls that read or write files
(opening an article, flag writes, the periodic check for other processes' changes) run one at
a time, in order, on a background "store lane" (thread workers draining one queue under one
lock), and post a message back. Building the search index and searching run in their own
thread workers over what is in memory and the articles' text.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import get_current_worker

from reader.article import Content, Headline
from reader.errors import ReaderError
from reader.index_files import StoredIndex
from reader.search import Query, Searcher
from reader.seed import seed_first_run
from reader.store import Store
from reader.ui.article_view import ArticleView
from reader.ui.headlines import HeadlineList
from reader.ui.search_bar import SearchBar

Flag = Literal["read", "starred"]


class FirstScreen(Message):
    def __init__(self, rows: list[Headline]) -> None:
        super().__init__()
        self.rows = rows


class StoreOpened(Message):
    def __init__(self, store: Store, seeded: int, index: StoredIndex) -> None:
        super().__init__()
        self.store = store
        self.seeded = seeded
        self.index = index


class StoreFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class StoreChanged(Message):
    """Another process changed the store; ``articles`` if text changed (not only flags)."""

    def __init__(self, articles: bool) -> None:
        super().__init__()
        self.articles = articles


class IndexProgress(Message):
    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class SearchDone(Message):
    """A search finished; ``found`` is None if it gave way to a newer query."""

    def __init__(self, text: str, found: list[Headline] | None) -> None:
        super().__init__()
        self.text = text
        self.found = found


class ArticleLoaded(Message):
    def __init__(self, head: Headline, content: Content | None, error: str = "") -> None:
        super().__init__()
        self.head = head
        self.content = content
        self.error = error


class FlagWritten(Message):
    """A flag write ended; ``error`` says why it was not saved."""

    def __init__(self, head: Headline, flag: Flag, value: bool, error: str = "") -> None:
        super().__init__()
        self.head = head
        self.flag = flag
        self.value = value
        self.error = error


class Problem(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class MainScreen(Screen[None]):
    """Read the store: type to search, Enter to read, n for the next unread article."""

    BINDINGS = [
        Binding("slash", "focus_search", "Search", key_display="/", id="reader.search",
                tooltip="Search as you type; Enter goes back to the list"),
        Binding("n", "next_unread(1)", "Next", id="reader.next_unread",
                tooltip="Open the next unread article"),
        Binding("p", "next_unread(-1)", "Previous", show=False, id="reader.previous_unread",
                tooltip="Open the previous unread article"),
        Binding("r", "toggle_read", "Read", id="reader.toggle_read",
                tooltip="Toggle read: the open article, else the cursor's"),
        Binding("s", "toggle_star", "Star", id="reader.toggle_star",
                tooltip="Toggle star: the open article, else the cursor's"),
        Binding("o", "open_link", "Link", id="reader.open_link",
                tooltip="Open the link in a browser (http and https only)"),
        Binding("z", "zoom", "Zoom", id="reader.zoom",
                tooltip="Give the article the whole screen, and back"),
        Binding("space", "page_article", "Page article", show=False, id="reader.page_article",
                tooltip="Page the article down"),
        Binding("escape", "back", "Back", show=False, id="reader.back",
                tooltip="Back one level: article -> list -> clear the search"),
        Binding("tab", "app.focus_next", "Next pane", show=False, id="reader.focus_next",
                tooltip="Move focus: search bar, list, article"),
        Binding("shift+tab", "app.focus_previous", "Previous pane", show=False,
                id="reader.focus_previous", tooltip="Move focus back"),
    ]

    def __init__(self, store_path: Path, *, refresh_seconds: float = 3.0) -> None:
        super().__init__()
        self.store_path = store_path
        self.store: Store | None = None
        self.index = StoredIndex(store_path / "search")  # empty until the store opens: no I/O
        self.searcher = Searcher(self.index)
        self.query_text = ""  # what the search bar says; the list shows its matches
        self._searching = False  # one search at a time; keystrokes meanwhile coalesce
        self._search_lock = threading.Lock()
        self._refresh_seconds = refresh_seconds
        self._checking = False
        self._indexed = -1  # the store's articles_generation the search index was built from
        self._jobs: deque[Callable[[Store], None]] = deque()
        self._jobs_lock = threading.Lock()
        self._wanted: dict[tuple[str, Flag], bool] = {}  # flag writes not yet on disk

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

    @property
    def search_bar(self) -> SearchBar:
        return self.query_one(SearchBar)

    def on_mount(self) -> None:
        self.headlines.border_title = "loading…"
        self.headlines.focus()
        self.open_store()

    # --- loading ---------------------------------------------------------------------------

    @work(thread=True, group="store")
    def open_store(self) -> None:
        """Paint the cached first screen, then open the whole store (seeding a first run)."""
        self.post_message(FirstScreen(Store.first_screen(self.store_path)))
        try:
            store = Store.open(self.store_path)
            seeded = seed_first_run(store)
            store.headlines()
        except ReaderError as error:
            self.post_message(StoreFailed(str(error)))
            return
        # The index as last saved, memory-mapped (never raises): full text at the first search.
        index = StoredIndex.open(store.path / "search")
        self.post_message(StoreOpened(store, seeded, index))

    def on_first_screen(self, message: FirstScreen) -> None:
        if self.store is None and message.rows:
            self.headlines.set_rows(message.rows)

    def on_store_opened(self, message: StoreOpened) -> None:
        self.store = message.store
        self.index, self.searcher = message.index, Searcher(message.index)
        if message.seeded:
            self.notify(
                f"First run: added {message.seeded} bundled articles to the store at "
                f"{self.store_path}. Import your own with `reader import FILE|URL`.",
                title="Welcome",
                markup=False,
                timeout=8,
            )
        self.show_rows()
        # Bring the saved index up to date (usually nothing to do) once the list is on screen.
        self.build_index()
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

    # --- the store lane: disk work, one job at a time, in order ------------------------------

    def _submit(self, job: Callable[[Store], None]) -> None:
        self._jobs.append(job)
        self._drain()

    @work(thread=True, group="store")
    def _drain(self) -> None:
        self._run_jobs()

    def _run_jobs(self) -> None:
        with self._jobs_lock:
            while self._jobs and self.store is not None:
                self._jobs.popleft()(self.store)

    def close(self) -> None:
        """At exit: finish the writes still queued (the app is quitting; waiting is right),
        then save the first-screen cache for a fast next start."""
        self._run_jobs()
        if self.store is not None:
            with contextlib.suppress(ReaderError):  # only a cache for the next start-up
                self.store.save_first_screen()

    def check_store(self) -> None:
        """Pick up what another process (say `reader import`) wrote since we last looked."""
        if self.store is None or self._checking:
            return
        self._checking = True

        def job(store: Store) -> None:
            before = store.articles_generation
            try:
                changed = store.refresh()
            except ReaderError as error:
                self.post_message(Problem(str(error)))
                changed = False
            self._checking = False
            if changed:
                self.post_message(StoreChanged(store.articles_generation != before))

        self._submit(job)

    def on_store_changed(self, message: StoreChanged) -> None:
        self.show_rows()
        if self.store is not None and self.store.articles_generation != self._indexed:
            self.build_index()  # new or changed text; a flag change needs no new index

    def on_problem(self, message: Problem) -> None:
        self.notify(message.error, severity="error", markup=False)

    # --- the search index ------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="index")
    def build_index(self) -> None:
        store = self.store
        if store is None:
            return
        worker = get_current_worker()
        self._indexed = store.articles_generation
        try:
            synced = self.index.sync(
                store,
                cancelled=lambda: worker.is_cancelled,
                progress=lambda done, total: self.post_message(IndexProgress(done, total)),
            )
        except ReaderError as error:  # the store could not be read: the index stays as it was
            self.post_message(Problem(str(error)))
            return
        if not synced.cancelled:
            self.post_message(IndexProgress(1, 1))  # done: the search on screen runs again

    def on_index_progress(self, message: IndexProgress) -> None:
        if message.done < message.total:
            percent = 100 * message.done // max(message.total, 1)
            self.headlines.border_subtitle = f"indexing {percent}%: titles only"
        else:
            self.headlines.border_subtitle = ""
            if self.query_text:
                self.start_search()

    # --- the list and the search -------------------------------------------------------------

    def show_rows(self) -> None:
        """Show every headline, or, while a search is typed, that search's matches."""
        if self.store is None:
            return
        if self.query_text:
            self.start_search()
            return
        everything = self.store.headlines()
        self.headlines.set_rows(everything, keep=self.headlines.current)
        self.headlines.border_title = f"{len(everything)} of {len(everything)}"

    @on(SearchBar.QueryChanged)
    def _query_changed(self, message: SearchBar.QueryChanged) -> None:
        self.query_text = message.text
        self.start_search()

    @on(SearchBar.Done)
    def _search_done(self) -> None:
        self.headlines.focus()

    def start_search(self) -> None:
        """Search for the current text, unless a search runs: when it ends, it starts the
        next one for whatever the text is then. A burst of keys costs two searches, not one
        worker per key."""
        if self.store is None or self._searching:
            return
        if not self.query_text:
            self.show_rows()
            self.article.highlight(Query.parse(""))
            return
        self._searching = True
        self.run_search(self.query_text)

    @work(thread=True, group="search")
    def run_search(self, text: str) -> None:
        store = self.store
        found = None
        if store is not None:
            with self._search_lock:
                generation = store.generation  # before the list: a newer list gets a new number
                found = self.searcher.search(
                    text, store.headlines(), generation, lambda: text != self.query_text
                )
        self.post_message(SearchDone(text, found))

    def on_search_done(self, message: SearchDone) -> None:
        self._searching = False
        if message.text != self.query_text:
            self.start_search()  # the text changed meanwhile: search for what it is now
            return
        if message.found is None or self.store is None:
            return
        self.headlines.set_rows(message.found, keep=self.headlines.current)
        self.headlines.border_title = f"{len(message.found)} of {len(self.store)}"
        self.article.highlight(Query.parse(self.query_text))

    # --- reading ---------------------------------------------------------------------------

    def on_headline_list_opened(self, message: HeadlineList.Opened) -> None:
        self.open_article(message.headline)

    def open_article(self, head: Headline) -> None:
        """Show the headline at once, its text when the store lane has read it; mark it read."""
        self.article.show(head, None, Query.parse(self.query_text))
        self.article.focus()

        def job(store: Store) -> None:
            try:
                content = store.content(head.id)
            except (ReaderError, KeyError) as error:
                self.post_message(ArticleLoaded(head, None, str(error)))
                return
            self.post_message(ArticleLoaded(head, content))

        self._submit(job)
        if not self._flag(head, "read"):
            self._set_flag(head, "read", True)

    def on_article_loaded(self, message: ArticleLoaded) -> None:
        if message.head is not self.article.headline:
            return  # another article was opened meanwhile
        if message.content is None:
            self.notify(f"cannot show this article: {message.error}", severity="error",
                        markup=False)
            return
        scrolled = self.article.scroll_y
        self.article.show(message.head, message.content, Query.parse(self.query_text))
        self.article.scroll_to(y=scrolled, animate=False)

    def _flag(self, head: Headline, flag: Flag) -> bool:
        """The flag as the user last set it (a write may still be on its way)."""
        saved = head.read if flag == "read" else head.starred
        return self._wanted.get((head.id, flag), saved)

    def _set_flag(self, head: Headline, flag: Flag, value: bool) -> None:
        """Write a flag durably in the store lane; the row shows it once it is saved, and a
        failure is a notification with the row left as it was."""
        self._wanted[(head.id, flag)] = value

        def job(store: Store) -> None:
            try:
                if flag == "read":
                    store.set_read(head.id, value)
                else:
                    store.set_starred(head.id, value)
            except ReaderError as error:
                self.post_message(FlagWritten(head, flag, value, str(error)))
                return
            self.post_message(FlagWritten(head, flag, value))

        self._submit(job)

    def on_flag_written(self, message: FlagWritten) -> None:
        key = (message.head.id, message.flag)
        if message.error:
            self._wanted.pop(key, None)
            self.notify(message.error, title="Not saved", severity="error", markup=False)
        elif self._wanted.get(key) == message.value:
            del self._wanted[key]
        self.headlines.refresh_flags()

    def _target(self) -> Headline | None:
        """The article an action applies to: the open one when reading, else the cursor's."""
        if self.focused is self.article and self.article.headline is not None:
            return self.article.headline
        return self.headlines.current

    def action_toggle_read(self) -> None:
        head = self._target()
        if head is not None:
            self._set_flag(head, "read", not self._flag(head, "read"))

    def action_toggle_star(self) -> None:
        head = self._target()
        if head is not None:
            self._set_flag(head, "starred", not self._flag(head, "starred"))

    def action_next_unread(self, direction: int) -> None:
        rows = self.headlines.rows
        start = self.headlines.cursor
        if self.article.headline is not self.headlines.current:
            start -= direction  # nothing open at the cursor yet: it may be the one we want
        position = start + direction
        while 0 <= position < len(rows):
            if not self._flag(rows[position], "read"):
                self.headlines.cursor = position
                self.open_article(rows[position])
                return
            position += direction
        self.notify("No more unread articles " + ("below" if direction > 0 else "above"))

    def action_open_link(self) -> None:
        head = self._target()
        if head is not None:
            self.app.call_later(self.app.open_link, head.link)  # type: ignore[attr-defined]

    def action_page_article(self) -> None:
        self.article.scroll_page_down()

    def action_zoom(self) -> None:
        zoomed = self.toggle_class("-zoom").has_class("-zoom")
        if zoomed:
            self.set_focus(self.article)
        elif self.focused is None:
            self.set_focus(self.headlines)

    def action_focus_search(self) -> None:
        # set_focus moves focus now; focus() would wait, and keys typed right after `/`
        # would reach the list as commands.
        self.remove_class("-zoom")
        self.set_focus(self.search_bar)

    def action_back(self) -> None:
        """Esc: one level back from wherever focus is: article -> list -> no search."""
        if self.focused is self.article or self.has_class("-zoom"):
            self.remove_class("-zoom")
            self.set_focus(self.headlines)
        elif self.focused is self.search_bar and self.search_bar.value:
            self.search_bar.value = ""
        elif self.focused is self.search_bar:
            self.set_focus(self.headlines)
        elif self.search_bar.value:
            self.search_bar.value = ""
        else:
            self.set_focus(self.headlines)
