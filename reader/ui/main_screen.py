"""The main screen: search bar, feeds pane, headline list, article pane and footer over one
:class:`Store`.

Threading: the UI thread never calls the store. Store calls (opening an article, flag writes,
the list of the chosen feed and its counts, the periodic check for other processes' changes)
run one at a time, in order, on a background "store lane" (one thread draining one queue
under one lock), and post a message back: even an in-memory call takes the store's lock.
A refresh runs in a child process (see :mod:`reader.ui.refresher`), read by a thread worker;
the lane re-reads what it wrote. Building the search index and searching run in their own
thread workers.

The headlines are many long-lived objects: after the store loads (and reloads) they are moved
out of the garbage collector's reach (``gc.freeze``), or each full collection walks them all
(65-85 ms at 10,000 articles, a stalled key).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content as Plain
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer
from textual.worker import get_current_worker

from reader.article import Content, Headline
from reader.config import Config
from reader.errors import ReaderError
from reader.index_files import StoredIndex
from reader.links import openable
from reader.schema import Record, feed_name, feed_settings
from reader.search import Query, Searcher
from reader.seed import seed_first_run
from reader.store import Store
from reader.text import clean, clip
from reader.ui.article_view import ArticleView
from reader.ui.dialogs import FeedSettings, FeedSettingsScreen, LinksScreen, SavePageScreen
from reader.ui.feeds_pane import ALL, FeedList, FeedsPane, Tally, View, entries, in_view, tally
from reader.ui.headlines import HeadlineList
from reader.ui.lane import Lane
from reader.ui.refresher import PageFetched, Refresher
from reader.ui.search_bar import SearchBar

if TYPE_CHECKING:
    from reader.fulltext import Outcome
    from reader.refresh import Result

Flag = Literal["read", "starred"]
RELOAD_EVERY = 0.5  # seconds: during a refresh, what it wrote is read this often
LOADING_DELAY = 0.05  # seconds an opened article's text may take before "loading…" shows
SHOWN_ERRORS = 5  # failed feeds named in the notification after a refresh


@dataclass
class FirstScreen(Message):
    rows: list[Headline]


@dataclass
class StoreOpened(Message):
    store: Store
    seeded: int
    index: StoredIndex


@dataclass
class StoreFailed(Message):
    error: str


@dataclass
class StoreChanged(Message):
    """Another process changed the store; ``articles`` if text changed (not only flags)."""

    articles: bool


@dataclass
class ViewLoaded(Message):
    """The lane read the store: the rows of ``view``, every feed, and the counts per feed."""

    view: View
    rows: list[Headline]
    feeds: list[Record]
    tallies: dict[str, Tally]


@dataclass
class IndexProgress(Message):
    done: int
    total: int


@dataclass
class SearchDone(Message):
    """A search finished; ``found`` is None if it gave way to a newer query."""

    text: str
    generation: int
    found: list[Headline] | None


@dataclass
class ArticleLoaded(Message):
    head: Headline
    content: Content | None
    error: str = ""


@dataclass
class FlagWritten(Message):
    """A flag write ended; ``changed`` if it changed the store; ``error`` says why it was not
    saved."""

    head: Headline
    flag: Flag
    value: bool
    changed: bool = False
    error: str = ""


@dataclass
class MarkedRead(Message):
    """A mark-all (``read``) or its undo (not ``read``) ended: ``ids`` are the articles it
    changed; ``error`` says why nothing was."""

    ids: list[str]
    read: bool
    error: str = ""


@dataclass
class RefreshProgress(Message):
    result: Result
    done: int
    total: int


@dataclass
class RefreshDone(Message):
    results: list[Result]
    automatic: bool
    error: str = ""


@dataclass
class Problem(Message):
    error: str


@dataclass
class FullTextFetched(Message):
    """``F`` ended: what became of the article's page (``error`` if the fetch could not run),
    and the article's text as it now is."""

    head: Headline
    outcome: Outcome | None
    content: Content | None = None
    error: str = ""


@dataclass
class PageSaved(Message):
    """A page the user asked to save (``a``) is kept, or why not."""

    url: str
    article_id: str | None
    outcome: Outcome | None
    title: str = ""
    error: str = ""


@dataclass
class FeedEdited(Message):
    """The settings dialog's changes are saved (``feed``), or why not."""

    feed: Record | None
    error: str = ""


@dataclass
class RefreshPage(Message):
    """A refresh fetched one new article's page (for a feed with whole articles on)."""

    page: PageFetched


def refresh_summary(
    results: list[Result], pages: list[PageFetched] | None = None
) -> tuple[str, bool]:
    """The notification after a refresh, and whether any feed failed."""
    if not results:
        return "No feeds to refresh: `reader add URL` follows one.", False
    added = sum(r.counts.added for r in results if r.counts is not None)
    failed = [r for r in results if r.error is not None]
    lines = [f"{_many(len(results), 'feed')} refreshed: {_many(added, 'new article')}"
             + (f", {len(failed)} failed:" if failed else "")]
    lines += [str(r) for r in failed[:SHOWN_ERRORS]]
    if len(failed) > SHOWN_ERRORS:
        lines.append(f"and {len(failed) - SHOWN_ERRORS} more (the feeds pane marks them !)")
    if pages:
        missed = sum(page.failed for page in pages)
        lines.append(f"Whole articles: {len(pages) - missed} fetched"
                     + (f", {missed} not (the feed's text stays; the article says why)"
                        if missed else ""))
    return "\n".join(clean(line) for line in lines), bool(failed)


def _many(count: int, thing: str) -> str:
    return f"{count} {thing}{'s' * (count != 1)}"


class MainScreen(Screen[None]):
    """Read the store: type to search, Enter to read, n for the next unread article."""

    BINDINGS = [
        Binding("slash", "focus_search", "Search", key_display="/", id="reader.search",
                tooltip="Search the list as you type; Enter goes back to it"),
        Binding("f", "feeds", "Feeds", id="reader.feeds",
                tooltip="Feeds and tags (a picker when narrow); Enter chooses"),
        Binding("n", "next_unread(1)", "Next", id="reader.next_unread",
                tooltip="Open the next unread article"),
        Binding("p", "next_unread(-1)", "Previous", show=False, id="reader.previous_unread",
                tooltip="Open the previous unread article"),
        Binding("r", "toggle_read", "Read", id="reader.toggle_read",
                tooltip="Toggle read: the open article, else the cursor's"),
        Binding("s", "toggle_star", "Star", show=False, id="reader.toggle_star",
                tooltip="Toggle star: the open article, else the cursor's"),
        Binding("A", "mark_all_read", "All read", show=False, id="reader.mark_all_read",
                tooltip="Mark every article in the list read (as searched)"),
        Binding("u", "undo", "Undo", show=False, id="reader.undo",
                tooltip="Undo the last A: those articles unread again"),
        Binding("R", "refresh", "Refresh", id="reader.refresh",
                tooltip="Refresh every feed in the background"),
        Binding("o", "open_link", "Link", id="reader.open_link",
                tooltip="Open the link in a browser (http and https only)"),
        Binding("F", "fetch_full_text", "Whole", show=False, id="reader.full_text",
                tooltip="Fetch the whole article from its page, in the background"),
        Binding("t", "toggle_text", "Text", show=False, id="reader.toggle_text",
                tooltip="Show the whole article or the feed's own text"),
        Binding("L", "links", "Links", show=False, id="reader.links",
                tooltip="The article's links: choose one to open in a browser"),
        Binding("a", "save_page", "Save page", show=False, id="reader.save_page",
                tooltip="Save a web page to read later, whole (asks for its URL)"),
        Binding("e", "edit_feed", "Feed settings", show=False, id="reader.edit_feed",
                tooltip="Feed settings: whole articles on or off, tags, days kept"),
        Binding("z", "zoom", "Zoom", id="reader.zoom",
                tooltip="Give the article the whole screen, and back"),
        Binding("less_than_sign", "split(-1)", "Narrower list", show=False, key_display="<",
                id="reader.shrink_list", tooltip="Give the article more room, the list less"),
        Binding("greater_than_sign", "split(1)", "Wider list", show=False, key_display=">",
                id="reader.grow_list", tooltip="Give the list more room, the article less"),
        Binding("space", "page_article", "Page article", show=False, id="reader.page_article",
                tooltip="Page the article down"),
        Binding("escape", "back", "Back", show=False, id="reader.back",
                tooltip="Back one level: article/feeds -> list -> no search"),
        Binding("tab", "app.focus_next", "Next pane", show=False, id="reader.focus_next",
                tooltip="Move focus: search bar, feeds, list, article"),
        Binding("shift+tab", "app.focus_previous", "Previous pane", show=False,
                id="reader.focus_previous", tooltip="Move focus back"),
    ]

    SPLITS = range(2, 9)  # the list's share of the list and article, in tenths

    def __init__(
        self, store_path: Path, *, refresh_seconds: float = 3.0, config: Config | None = None
    ) -> None:
        super().__init__()
        self.store_path = store_path
        self.config = config or Config()
        self.store: Store | None = None
        self.index = StoredIndex(store_path / "search")  # empty until the store opens: no I/O
        self.searcher = Searcher(self.index)
        self.query_text = ""  # what the search bar says; the list shows its matches
        self._searching = False  # one search at a time; keystrokes meanwhile coalesce
        self._refresh_seconds = refresh_seconds
        self._checking = False
        self._check_again = False  # asked while a check ran: one more when it ends
        self._indexed = -1  # the store's articles_generation the search index was built from
        self._store_lane = Lane("store lane")
        self._search_lane = Lane("search lane")
        self._waiting: list[Callable[[Store], None]] = []  # store jobs asked before it opened
        self._wanted: dict[tuple[str, Flag], bool] = {}  # flag writes not yet on disk
        # What the list shows: the chosen view's rows (the search narrows them further).
        self.view: View = ALL
        self.view_rows: list[Headline] = []
        self._view_generation = 0  # bumped whenever view_rows is replaced
        self._kept: frozenset[str] = frozenset()  # see feeds_pane.in_view
        self._reload_queued = False
        self._reload_timer: Timer | None = None
        self.feeds: list[Record] = []
        self.tallies: dict[str, Tally] = {}
        self._undo: list[str] | None = None  # the ids the last A marked read
        self.refreshing = False
        self.refresher: Refresher | None = None
        self._status: dict[str, str] = {}  # the list's subtitle: indexing, refreshing
        self._fetching: set[str] = set()  # articles whose page F is fetching
        self._opening: Headline | None = None  # opened, its text not yet read
        self._pages: list[PageFetched] = []  # what the refresh under way fetched whole
        self.split: int | None = None  # the list's share in tenths; None: the layout's own

    def compose(self) -> ComposeResult:
        yield SearchBar(id="search")
        with Horizontal(id="panes"):
            yield FeedsPane(id="feeds")
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

    @property
    def feeds_pane(self) -> FeedsPane:
        return self.query_one(FeedsPane)

    @property
    def feed_list(self) -> FeedList:
        return self.query_one(FeedList)

    def on_mount(self) -> None:
        self.headlines.border_title = "loading…"
        self.headlines.focus()
        self.article.keys = {"toggle": self._key("reader.toggle_text"),
                             "fetch": self._key("reader.full_text"),
                             "links": self._key("reader.links")}
        self.open_store()

    def _key(self, binding_id: str) -> str:
        """The first key bound to ``binding_id``, as the settings file may have rebound it."""
        keymap: dict[str, str] = getattr(self.app, "keymap", {})
        keys = keymap.get(binding_id) or next(
            b.key for b in Binding.make_bindings(self.BINDINGS) if b.id == binding_id)
        return keys.split(",")[0].strip()

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
        gc.freeze()
        self.index, self.searcher = message.index, Searcher(message.index)
        waiting, self._waiting = self._waiting, []
        for job in waiting:
            self._submit(job)
        if message.seeded:
            self.notify(
                f"First run: added {message.seeded} bundled articles to the store at "
                f"{self.store_path}. Import your own with `reader import FILE|URL`.",
                title="Welcome",
                markup=False,
                timeout=8,
            )
        self.reload_view()
        # Bring the saved index up to date (usually nothing to do) once the list is on screen.
        self.build_index()
        self.set_interval(self._refresh_seconds, self.check_store)
        minutes = self.config.refresh_interval
        if minutes:
            self.set_interval(minutes * 60, lambda: self.start_refresh(automatic=True))

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

    # --- the store lane: store calls, one job at a time, in order ----------------------------

    def _submit(self, job: Callable[[Store], None]) -> None:
        store = self.store
        if store is None:  # Enter on a row of the cached first screen: run once it opens
            self._waiting.append(job)
        else:
            self._store_lane.submit(lambda: job(store))

    def lane_idle(self) -> bool:
        """Nothing queued or running in the store and search lanes (tests wait for this)."""
        return self._store_lane.idle() and self._search_lane.idle()

    def on_unmount(self) -> None:
        self._store_lane.stop()
        self._search_lane.stop()

    def close(self) -> None:
        """At exit: finish the writes still queued (the app is quitting; waiting is right),
        then save the first-screen cache for a fast next start. A refresh under way stops."""
        if self.refresher is not None:
            self.refresher.stop()
        self._store_lane.stop()
        self._store_lane.run_pending()
        if self.store is not None:
            with contextlib.suppress(ReaderError):  # only a cache for the next start-up
                self.store.save_first_screen()

    def check_store(self) -> None:
        """Pick up what another process (say `reader import`) wrote since we last looked."""
        if self.store is None:
            return
        if self._checking:
            self._check_again = True  # what changed after that check began is read next
            return
        self._checking = True

        def job(store: Store) -> None:
            again = True
            while again:
                self._check_again = False
                before = store.articles_generation
                try:
                    changed = store.refresh()
                except ReaderError as error:
                    self.post_message(Problem(str(error)))
                    changed = False
                if changed:
                    self.post_message(StoreChanged(store.articles_generation != before))
                again = self._check_again
            self._checking = False

        self._submit(job)

    def on_store_changed(self, message: StoreChanged) -> None:
        if message.articles:
            gc.freeze()
        self.reload_view()
        if self.refreshing:
            return  # the refresh indexes what it adds; the index is read again at its end
        if self.store is not None and self.store.articles_generation != self._indexed:
            self.build_index()  # new or changed text; a flag change needs no new index

    def on_problem(self, message: Problem) -> None:
        self.notify(message.error, severity="error", markup=False)

    # --- the chosen view and the counts --------------------------------------------------------

    def reload_view(self) -> None:
        """Read the chosen view's rows, the feeds and their counts again, in the lane (one
        pass over the headlines); a reload already waiting in the lane does for both."""
        if self.store is None or self._reload_queued:
            return
        self._reload_queued = True

        def job(store: Store) -> None:
            self._reload_queued = False
            view, kept = self.view, self._kept  # as they are now: a newer choice wins
            try:
                heads = store.headlines()
                feeds = store.feeds()
            except ReaderError as error:
                self.post_message(Problem(str(error)))
                return
            self.post_message(ViewLoaded(view, in_view(heads, view, feeds, kept), feeds,
                                         tally(heads)))

        self._submit(job)

    def on_view_loaded(self, message: ViewLoaded) -> None:
        self.feeds, self.tallies = message.feeds, message.tallies
        self.show_entries()
        if message.view != self.view:
            return  # chosen meanwhile: its own reload is in the lane
        if not any(entry.view == self.view for entry in self.feed_list.rows):
            self.view = ALL  # its feed was removed, or its tag, by another process
            self.show_entries()
            self.reload_view()
            return
        self.view_rows = message.rows
        self._view_generation += 1
        if self.view.kind in ("unread", "starred"):
            self._kept = frozenset(head.id for head in message.rows)
        if self.query_text:
            self.start_search()
        else:
            self.show_rows()
            if not self.refreshing:  # a refresh reloads twice a second: map what it leaves
                self._search_lane.submit(self._prepare_search)

    def show_entries(self) -> None:
        self.feeds_pane.set_entries(entries(self.feeds, self.tallies), self.view)

    def view_name(self) -> str:
        """The chosen view's name as the pane shows it (cleaned)."""
        rows = self.feed_list.rows
        return next((entry.name for entry in rows if entry.view == self.view), "")

    def show_rows(self, rows: list[Headline] | None = None) -> None:
        """Show ``rows`` (the search's matches), or the whole view; ``N of M`` counts the
        view's articles."""
        shown = self.view_rows if rows is None else rows
        self.headlines.set_rows(shown, keep=self.headlines.current)
        counted = f"{len(shown)} of {len(self.view_rows)}"
        if self.view == ALL:
            self.headlines.border_title = counted
        else:  # a feed's title is untrusted: plain Content, never markup
            self.headlines.border_title = Plain(f"{self.view_name()} · {counted}")

    def on_feed_list_chosen(self, message: FeedList.Chosen) -> None:
        self.view = message.view
        self._kept = frozenset()
        self.remove_class("-picking")
        self.set_focus(self.headlines)
        self.reload_view()

    def _set_status(self, name: str, text: str) -> None:
        """One part of the list's subtitle (indexing, refreshing); "" removes it."""
        if text:
            self._status[name] = text
        else:
            self._status.pop(name, None)
        self.headlines.border_subtitle = " · ".join(self._status.values())

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
            self._set_status("index", f"indexing {percent}%: titles only")
        else:
            self._set_status("index", "")
            if self.query_text:
                self.start_search()

    # --- the search ------------------------------------------------------------------------

    @on(SearchBar.QueryChanged)
    def _query_changed(self, message: SearchBar.QueryChanged) -> None:
        self.query_text = message.text
        self.start_search()

    @on(SearchBar.Done)
    def _search_done(self) -> None:
        self.headlines.focus()

    def start_search(self) -> None:
        """Search the chosen view for the current text, unless a search runs: when it ends,
        it starts the next one for whatever the text is then. A burst of keys costs two
        searches, not one worker per key."""
        if self.store is None or self._searching:
            return
        if not self.query_text:
            self.show_rows()
            self.article.highlight(Query.parse(""))
            return
        self._searching = True
        self.run_search(self.query_text, self.view_rows, self._view_generation)

    def _prepare_search(self) -> None:
        """In the search lane: map the rows on screen now to the index (once per view)."""
        if not self.query_text:
            self.searcher.prepare(self.view_rows, self._view_generation)

    def run_search(self, text: str, heads: list[Headline], generation: int) -> None:
        """Search in the search lane; the result comes back as a :class:`SearchDone`."""

        def job() -> None:
            found = self.searcher.search(
                text, heads, generation,
                lambda: text != self.query_text or generation != self._view_generation,
            )
            self.post_message(SearchDone(text, generation, found))

        self._search_lane.submit(job)

    def on_search_done(self, message: SearchDone) -> None:
        self._searching = False
        if message.text != self.query_text or message.generation != self._view_generation:
            self.start_search()  # the text or the view changed meanwhile: search again
            return
        if message.found is None or self.store is None:
            return
        self.show_rows(message.found)
        self.article.highlight(Query.parse(self.query_text))

    # --- reading ---------------------------------------------------------------------------

    def on_headline_list_opened(self, message: HeadlineList.Opened) -> None:
        self.open_article(message.headline)

    def open_article(self, head: Headline) -> None:
        """Show the article when the store lane has read its text (a fraction of a
        millisecond), or its headline over "loading…" if that takes longer than
        :data:`LOADING_DELAY`; mark it read. A "loading…" frame at once would hold Python's
        lock while the lane reads: the text came a whole frame later."""
        self._opening = head
        self.set_timer(LOADING_DELAY, lambda: self._show_loading(head))

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

    def _show_loading(self, head: Headline) -> None:
        if self._opening is head:
            self._opening = None
            self.article.show(head, None, Query.parse(self.query_text))
            self.article.focus()

    def on_article_loaded(self, message: ArticleLoaded) -> None:
        query = Query.parse(self.query_text)
        if message.head is self._opening:  # not on screen yet: now, from the top
            self._show_loading(message.head)
            if message.content is not None:
                self.article.show(message.head, message.content, query)
        elif message.head is not self.article.headline:
            return  # another article was opened meanwhile
        elif message.content is not None:  # after "loading…": where the reader scrolled to
            scrolled = self.article.scroll_y
            self.article.show(message.head, message.content, query)
            self.article.scroll_to(y=scrolled, animate=False)
        if message.content is None:
            self.notify(f"cannot show this article: {message.error}", severity="error",
                        markup=False)

    def _flag(self, head: Headline, flag: Flag) -> bool:
        """The flag as the user last set it (a write may still be on its way)."""
        saved = head.read if flag == "read" else head.starred
        return self._wanted.get((head.id, flag), saved)

    def _set_flag(self, head: Headline, flag: Flag, value: bool) -> None:
        """Write a flag durably in the store lane; the row shows it once it is saved, and a
        failure is a notification with the row left as it was."""
        self._wanted[(head.id, flag)] = value

        def job(store: Store) -> None:
            before = self._saved(store, head, flag)
            try:
                if flag == "read":
                    store.set_read(head.id, value)
                else:
                    store.set_starred(head.id, value)
            except ReaderError as error:
                self.post_message(FlagWritten(head, flag, value, error=str(error)))
                return
            changed = self._saved(store, head, flag) != before
            self.post_message(FlagWritten(head, flag, value, changed))

        self._submit(job)

    @staticmethod
    def _saved(store: Store, head: Headline, flag: Flag) -> bool | None:
        """The flag as the store holds it; None if the article is gone (expired or removed
        by another process meanwhile)."""
        held = store.get(head.id)
        return None if held is None else bool(getattr(held, flag))

    def on_flag_written(self, message: FlagWritten) -> None:
        key = (message.head.id, message.flag)
        if message.error:
            self._wanted.pop(key, None)
            self.notify(message.error, title="Not saved", severity="error", markup=False)
        elif self._wanted.get(key) == message.value:
            del self._wanted[key]
        if message.changed:  # one feed's count moves by one: no pass over the store
            counted = self.tallies.setdefault(message.head.feed_id, Tally())
            step = 1 if message.value else -1
            if message.flag == "read":
                counted.unread -= step
            else:
                counted.starred += step
            self.show_entries()
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

    # --- mark all read, and undo -------------------------------------------------------------

    def action_mark_all_read(self) -> None:
        """A: every unread article the list shows (the chosen view, narrowed by the search)."""
        if self.store is None:
            return
        ids = [head.id for head in self.headlines.rows if not self._flag(head, "read")]
        if not ids:
            self.notify("Nothing unread here")
            return
        self._mark(ids, True)

    def action_undo(self) -> None:
        """u: the articles the last A marked read, unread again (only those)."""
        if self._undo is None:
            self.notify("Nothing to undo")
            return
        ids, self._undo = self._undo, None
        self._mark(ids, False)

    def _mark(self, ids: list[str], read: bool) -> None:
        def job(store: Store) -> None:
            # Only what this changes: an article another process read meanwhile stays read
            # after an undo. The store re-reads the disk under its lock before writing.
            changing = [i for i in ids if (h := store.get(i)) is not None and h.read != read]
            try:
                store.mark_read(changing, read)
            except ReaderError as error:
                self.post_message(MarkedRead([], read, str(error)))
                return
            self.post_message(MarkedRead(changing, read))

        self._submit(job)

    def on_marked_read(self, message: MarkedRead) -> None:
        count = len(message.ids)
        if message.error:
            self.notify(message.error, title="Not saved", severity="error", markup=False)
        elif message.read:
            self._undo = message.ids
            self.notify(f"Marked {_many(count, 'article')} read; u undoes it")
        else:
            self.notify(f"Marked {_many(count, 'article')} unread again")
        self.headlines.refresh_flags()
        self.reload_view()

    # --- refreshing feeds ------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.start_refresh(automatic=False)

    def start_refresh(self, automatic: bool) -> None:
        """Refresh every followed feed in a thread worker; one refresh at a time."""
        if self.store is None:
            if not automatic:
                self.notify("The store is still loading")
            return
        if self.refreshing:
            if not automatic:
                self.notify("Already refreshing")
            return
        self.refreshing = True
        self._pages = []
        followed = sum(1 for feed in self.feeds if feed["subscribed"])
        self._set_status("refresh", f"refreshing 0/{followed}")
        self.run_refresh(self.store, automatic)

    @work(thread=True, group="refresh", description="refresh")
    def run_refresh(self, store: Store, automatic: bool) -> None:
        """Start the child process and pass on what it reports."""
        results: list[Result] = []
        try:
            self.refresher = refresher = Refresher(
                store.path, jobs=self.config.jobs, per_host=self.config.per_host
            )
        except OSError as error:
            self.post_message(RefreshDone([], automatic, f"cannot start a refresh: {error}"))
            return
        failure = ""
        for event in refresher.events():
            if isinstance(event, str):
                failure = event
            elif isinstance(event, PageFetched):
                self.post_message(RefreshPage(event))
            else:
                results.append(event[0])
                self.post_message(RefreshProgress(*event))
        self.refresher = None
        self.post_message(RefreshDone(results, automatic, failure))

    def on_refresh_progress(self, message: RefreshProgress) -> None:
        self._set_status("refresh", f"refreshing {message.done}/{message.total}")
        counts, error = message.result.counts, message.result.error
        changed = counts is not None and (counts.added or counts.updated)
        if (changed or error) and self._reload_timer is None:
            self._reload_timer = self.set_timer(RELOAD_EVERY, self._timed_check)

    def on_refresh_page(self, message: RefreshPage) -> None:
        page = message.page
        self._pages.append(page)
        self._set_status("refresh", f"whole articles {page.done}/{page.total}")
        if self._reload_timer is None:
            self._reload_timer = self.set_timer(RELOAD_EVERY, self._timed_check)

    def _timed_check(self) -> None:
        self._reload_timer = None
        self.check_store()

    def on_refresh_done(self, message: RefreshDone) -> None:
        self.refreshing = False
        self._set_status("refresh", "")
        self.check_store()  # the last feeds' articles and errors; then the index
        if self.store is not None and self.store.articles_generation != self._indexed:
            self.build_index()
        if message.error:
            self.notify(message.error, title="Refresh failed", severity="error", markup=False)
            return
        summary, failed = refresh_summary(message.results, self._pages)
        added = any(r.counts is not None and r.counts.added for r in message.results)
        if message.automatic and not (failed or added):
            return
        self.notify(summary, title="Refresh", severity="warning" if failed else "information",
                    markup=False, timeout=12 if failed else 5)

    # --- whole articles, links, saved pages, feed settings -----------------------------------

    def action_fetch_full_text(self) -> None:
        """F: fetch the article's page in the background; the pane shows the whole article
        when it is kept (asked for, so a page fetched before is fetched again)."""
        head = self._target()
        if head is None or self.store is None:
            return
        if openable(head.link) is None:
            self.notify("This article has no http(s) link: there is no page to fetch",
                        severity="warning")
            return
        if head.id in self._fetching:
            self.notify("Already fetching this article's page")
            return
        self._fetching.add(head.id)
        self._show_fetching()
        self.run_full_text(self.store, head)

    @property
    def fetching(self) -> frozenset[str]:
        """The articles whose page F is fetching now."""
        return frozenset(self._fetching)

    def _show_fetching(self) -> None:
        count = len(self._fetching)
        self._set_status("fulltext", f"fetching {_many(count, 'page')}" if count else "")
        shown = self.article.headline
        if shown is None or self.article.content is None:
            return
        fetching = shown.id in self._fetching
        if fetching != self.article.fetching:  # another article's fetch changes nothing here
            self.article.update(self.article.content, Query.parse(self.query_text),
                                fetching=fetching)

    @work(thread=True, group="full text", description="full text")
    def run_full_text(self, store: Store, head: Headline) -> None:
        try:
            from reader.fulltext import fetch_full_text

            outcomes = fetch_full_text(store, [head.id], force=True,
                                       per_host=self.config.per_host)
            self.post_message(FullTextFetched(head, outcomes[-1], store.content(head.id)))
        except (ReaderError, KeyError, OSError) as error:  # busy store, article gone, no fork
            self.post_message(FullTextFetched(head, None, error=clean(str(error))))

    def on_full_text_fetched(self, message: FullTextFetched) -> None:
        head, outcome = message.head, message.outcome
        self._fetching.discard(head.id)
        open_here = self.article.headline is not None and self.article.headline.id == head.id
        if open_here and message.content is not None:
            self.article.update(message.content, Query.parse(self.query_text),
                                fetching=False)
        self._show_fetching()
        title = clip(clean(head.title), 50)
        if outcome is None:
            self.notify(f"“{title}”: {message.error}", title="No whole article",
                        severity="error", markup=False)
        elif outcome.error is None:
            if not open_here:  # the open article's pane shows it: once is enough
                self.notify(f"“{title}”: whole article kept ({_many(outcome.kept, 'paragraph')})",
                            markup=False)
        elif not (open_here and message.content is not None
                  and message.content.full_text is None):  # else the pane says why
            self.notify(f"“{title}”: {outcome.error}", title="No whole article",
                        severity="warning", markup=False)
        if outcome is not None and outcome.error is None:
            self.build_index()  # a word only on the page finds the article

    def action_toggle_text(self) -> None:
        """t: the whole article or the feed's own text."""
        if self.article.headline is None:
            self.notify("Open an article first (Enter)")
        elif not self.article.has_whole:
            self.notify(f"This article has no whole text yet: {self._key('reader.full_text')} "
                        "fetches it from its page")
        else:
            self.article.toggle_whole(Query.parse(self.query_text))

    def action_links(self) -> None:
        """L: the open article's page and the links its whole text numbers, to open one."""
        head, content = self.article.headline, self.article.content
        if head is None:
            self.notify("Open an article first (Enter)")
            return
        links = [("page", head.link)] if head.link else []
        if content is not None and content.full_text is not None:
            links += [(f"[{n}]", link) for n, link in enumerate(content.links, 1)]
        if not links:
            self.notify("This article has no links")
            return
        self.app.push_screen(LinksScreen(head.title, links), self._open_chosen)

    def _open_chosen(self, link: str | None) -> None:
        if link is not None:
            self.app.call_later(self.app.open_link, link)  # type: ignore[attr-defined]

    def action_save_page(self) -> None:
        """a: ask for a web page's URL, then keep it whole in the Saved feed."""
        if self.store is None:
            self.notify("The store is still loading")
            return
        self.app.push_screen(SavePageScreen(), self._save_url)

    def _save_url(self, url: str | None) -> None:
        if url is not None and self.store is not None:
            self.notify(f"Saving {clip(clean(url), 70)} …", markup=False)
            self.run_save_page(self.store, url)

    @work(thread=True, group="save page", description="save page")
    def run_save_page(self, store: Store, url: str) -> None:
        try:
            from reader.fulltext import save_page

            article_id, outcome = save_page(store, url)
            head = store.get(article_id) if article_id is not None else None
            title = head.title if head is not None else ""
            self.post_message(PageSaved(url, article_id, outcome, title))
        except ReaderError as error:
            self.post_message(PageSaved(url, None, None, error=clean(str(error))))

    def on_page_saved(self, message: PageSaved) -> None:
        if message.article_id is None or message.outcome is None:
            why = message.error or (message.outcome and message.outcome.error) or ""
            self.notify(f"{clip(clean(message.url), 70)}: {why}", title="Save a page",
                        severity="error", markup=False)
            return
        self.notify(f"Saved “{clip(clean(message.title), 60)}” in the Saved feed "
                    f"({_many(message.outcome.kept, 'paragraph')})", markup=False)
        self.reload_view()
        self.build_index()

    def action_edit_feed(self) -> None:
        """e: the settings of the highlighted feed (feeds pane), else of the open or cursor's
        article's feed, else of the chosen feed."""
        if self.store is None:
            return
        feed_id = ""
        entry = self.feed_list.current
        if self.focused is self.feed_list and entry is not None and entry.view.kind == "feed":
            feed_id = entry.view.key
        elif (head := self._target()) is not None:
            feed_id = head.feed_id
        elif self.view.kind == "feed":
            feed_id = self.view.key
        feed = next((f for f in self.feeds if f["id"] == feed_id), None)
        if feed is None:
            self.notify("Choose a feed first: f, then a feed (or open one of its articles)")
            return
        self.app.push_screen(FeedSettingsScreen(feed, self.config.keep_days),
                             self._apply_settings)

    def _apply_settings(self, settings: FeedSettings | None) -> None:
        if settings is None:
            return

        def job(store: Store) -> None:
            try:
                record = store.set_feed(settings.feed_id, full_text=settings.full_text,
                                        tags=settings.tags, keep_days=settings.keep_days)
            except ReaderError as error:
                self.post_message(FeedEdited(None, clean(str(error))))
                return
            self.post_message(FeedEdited(record))

        self._submit(job)

    def on_feed_edited(self, message: FeedEdited) -> None:
        if message.feed is None:
            self.notify(message.error, title="Not saved", severity="error", markup=False)
            return
        feed = message.feed
        self.notify(f"{clip(clean(feed_name(feed)), 50)}: "
                    f"{feed_settings(feed, self.config.keep_days)}",
                    title="Feed settings saved", markup=False)
        self.reload_view()

    # --- layout ----------------------------------------------------------------------------

    def action_feeds(self) -> None:
        """f: to the feeds pane and back; on a narrow screen it opens as a picker."""
        self.remove_class("-zoom")
        if self.focused is self.feed_list:
            self.remove_class("-picking")
            self.set_focus(self.headlines)
            return
        if self.has_class("-narrow"):
            self.add_class("-picking")
        self.set_focus(self.feed_list)

    def action_split(self, step: int) -> None:
        """< and >: move the border between the list and the article (side by side, or
        stacked when narrow) by a tenth."""
        share = (self.split or 5) + step
        self.split = min(max(share, self.SPLITS.start), self.SPLITS.stop - 1)
        self.apply_split()

    def apply_split(self) -> None:
        if self.split is None:
            return
        across, other = ("height", "width") if self.has_class("-narrow") else ("width", "height")
        for widget, share in ((self.headlines, self.split), (self.article, 10 - self.split)):
            setattr(widget.styles, across, f"{share}fr")
            setattr(widget.styles, other, None)  # the layout's own (100%) again

    def on_resize(self) -> None:
        self.call_after_refresh(self._layout_changed)  # the breakpoint may have changed

    def _layout_changed(self) -> None:
        if self.focused is self.feed_list and self.has_class("-narrow"):
            self.add_class("-picking")  # the column is gone: the feeds stay, as the picker
        self.apply_split()

    def action_open_link(self) -> None:
        head = self._target()
        if head is not None:
            self.app.call_later(self.app.open_link, head.link)  # type: ignore[attr-defined]

    def action_page_article(self) -> None:
        self.article.scroll_page_down()

    def action_zoom(self) -> None:
        zoomed = self.toggle_class("-zoom").has_class("-zoom")
        self.remove_class("-picking")
        if zoomed:
            self.set_focus(self.article)
        elif self.focused is None:
            self.set_focus(self.headlines)

    def action_focus_search(self) -> None:
        # set_focus moves focus now; focus() would wait, and keys typed right after `/`
        # would reach the list as commands.
        self.remove_class("-zoom", "-picking")
        self.set_focus(self.search_bar)

    def action_back(self) -> None:
        """Esc: one level back from wherever focus is: article or feeds -> list -> no search."""
        if self.focused is self.feed_list or self.has_class("-picking"):
            self.remove_class("-picking")
            self.set_focus(self.headlines)
        elif self.focused is self.article or self.has_class("-zoom"):
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
