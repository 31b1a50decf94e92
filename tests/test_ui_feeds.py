"""The feeds pane, R (refresh), A and u (mark all read, undo) and the settings file, with Pilot.

Refreshes fetch from HTTP servers these tests start on loopback addresses; a server that must
hold a response waits on an event the test sets (capped, so nothing outlives a test).
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from reader.article import Item
from reader.config import load_config
from reader.importer import import_sources
from reader.store import Store
from reader.ui.app import ReaderApp
from reader.ui.feeds_pane import FAILED, GONE, Entry, FeedList, View
from reader.ui.help_screen import HelpScreen
from reader.ui.main_screen import MainScreen
from tests.conftest import FEED, SEED, settle
from tests.test_app import record_notes
from tests.test_refresh import FeedServer, Handler, rss, serve
from tests.test_ui_keys import screen_lines

NEWER = 1_700_000_000  # Nov 2023: newer than every fixture article (Sep 2023)
CAP = 10.0  # seconds a held response waits at most


def follow(store: Store, url: str, title: str, tags: list[str], count: int,
           newest: int = NEWER) -> str:
    """Follow a feed and give it ``count`` articles (as a refresh would); its feed id."""
    record, _ = store.subscribe(url, title=title, tags=tags)
    store.merge(
        [Item(title=f"{title} story {n}", guid=f"{url}#{n}", link=f"{url}/{n}",
              standfirst=f"About {title} {n}.", published=newest - n * 3600 - len(title))
         for n in range(count)],
        authoritative=True, source=url,
    )
    return str(record["id"])


@pytest.fixture
def feeds_store(tmp_path: Path) -> Path:
    return fill_feeds_store(tmp_path / "store")


def fill_feeds_store(path: Path) -> Path:
    """The 20 fixture articles (a one-shot import) and four followed feeds: two tagged tech,
    one whose last fetch failed (its title and error hold markup), one gone."""
    store = Store.open(path)
    import_sources(store, [str(SEED), str(FEED)])
    follow(store, "https://tech.example/feed", "Tech Daily", ["tech"], 3)
    follow(store, "https://lwn.example/feed", "Kernel News", ["tech", "linux"], 2)
    broken = follow(store, "https://broken.example/feed", "Broken [b]feed[/b]", [], 2)
    store.set_feed(broken, error="HTTP 500 [@click=app.quit]boom[/]")
    gone = follow(store, "https://gone.example/feed", "Gone Away", [], 1)
    store.set_feed(gone, gone=True, error="gone (410)")
    return path


@pytest.fixture
def no_config(tmp_path: Path) -> Path:
    return tmp_path / "config.toml"  # absent: every default


def main_text(app: ReaderApp, selector: str) -> str:
    """The plain text a Static of the main screen shows."""
    from textual.widgets import Static

    return str(app.main.query_one(selector, Static).render())


def entry(app: ReaderApp, name: str) -> Entry:
    return next(e for e in app.main.feed_list.rows if e.name == name)


async def choose(pilot: Pilot[None], app: ReaderApp, name: str) -> None:
    """f, then down to the entry called ``name``, then Enter: as a user would."""
    main = app.main
    if app.focused is not main.feed_list:
        await pilot.press("f")
    await pilot.press("g")
    index = next(i for i, e in enumerate(main.feed_list.rows) if e.name == name)
    await pilot.press(*["j"] * index, "enter")
    await settle(pilot)


async def wait_until(pilot: Pilot[None], done: Any, what: str) -> None:
    for _ in range(500):
        if done():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never happened: {what}")


# --- the pane ------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "column"), [((80, 24), False), ((120, 40), True),
                                              ((160, 48), True)])
async def test_the_feeds_are_a_column_from_120_columns(
    feeds_store: Path, no_config: Path, size: tuple[int, int], column: bool
) -> None:
    app = ReaderApp(feeds_store, config_path=no_config)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        pane = app.main.feeds_pane
        assert pane.display is column
        assert (pane.region.width > 0) is column
        names = [e.name for e in app.main.feed_list.rows]
        assert names == ["All", "Unread", "Starred", "#linux", "#tech", "Broken [b]feed[/b]",
                         "Gone Away", "Kernel News", "Tech Daily", "World news | The Guardian"]
        if column:
            shown = "\n".join(screen_lines(app))
            assert "Tech Daily" in shown and "#linux" in shown


async def test_choosing_a_feed_filters_the_list_counts_and_searches_within_it(
    feeds_store: Path, no_config: Path
) -> None:
    app = ReaderApp(feeds_store, config_path=no_config)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        main = app.main
        assert main.headlines.border_title == "28 of 28"
        await choose(pilot, app, "Tech Daily")
        assert app.focused is main.headlines
        assert [h.title for h in main.headlines.rows] == [
            "Tech Daily story 0", "Tech Daily story 1", "Tech Daily story 2"]
        assert main.headlines.border_title == "Tech Daily · 3 of 3"
        assert not main.headlines.show_feed, "one feed: no feed column"
        await pilot.press("slash", *"story 1")
        await settle(pilot)
        assert [h.title for h in main.headlines.rows] == ["Tech Daily story 1"]
        assert main.headlines.border_title == "Tech Daily · 1 of 3"
        await pilot.press("escape", "escape")
        await settle(pilot)
        await choose(pilot, app, "#tech")
        assert {h.feed for h in main.headlines.rows} == {"Tech Daily", "Kernel News"}
        assert main.headlines.border_title == "#tech · 5 of 5"
        await pilot.press("slash", *"putin")
        await settle(pilot)
        assert main.headlines.rows == [] and main.headlines.border_title == "#tech · 0 of 5"
        await pilot.press("escape", "escape")
        await choose(pilot, app, "All")
        await pilot.press("slash", *"putin")
        await settle(pilot)
        assert len(main.headlines.rows) > 5
        assert main.headlines.border_title.endswith(f"{len(main.headlines.rows)} of 28")


async def test_a_click_chooses_and_a_removed_feed_gives_way_to_all(
    feeds_store: Path, no_config: Path
) -> None:
    app = ReaderApp(feeds_store, config_path=no_config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.main
        row = next(i for i, e in enumerate(main.feed_list.rows) if e.name == "Kernel News")
        await pilot.click(FeedList, offset=(3, row))
        await settle(pilot)
        assert [h.feed for h in main.headlines.rows] == ["Kernel News"] * 2
        other = Store.open(feeds_store)  # `reader remove` in another terminal
        feed = other.feed("https://lwn.example/feed")
        assert feed is not None
        other.remove_feed(feed["id"])
        main.check_store()
        await settle(pilot)
        assert main.view == View() and main.headlines.border_title == "26 of 26"
        assert "Kernel News" not in [e.name for e in main.feed_list.rows]
        assert "#linux" not in [e.name for e in main.feed_list.rows]


async def test_unread_and_starred_views(feeds_store: Path, no_config: Path) -> None:
    app = ReaderApp(feeds_store, config_path=no_config)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        main = app.main
        first = main.headlines.rows[0]
        await pilot.press("s")  # star the first article
        await settle(pilot)
        await choose(pilot, app, "Starred")
        assert main.headlines.rows == [first]
        await choose(pilot, app, "Unread")
        assert len(main.headlines.rows) == 28
        await pilot.press("enter")  # read the first: it stays in view while the view is shown
        await settle(pilot)
        main.reload_view()
        await settle(pilot)
        assert len(main.headlines.rows) == 28 and main.headlines.rows[0].read
        assert entry(app, "Unread").count == 27
        await choose(pilot, app, "Unread")  # chosen again: only what is unread now
        assert len(main.headlines.rows) == 27
        assert not any(h.read for h in main.headlines.rows)


async def test_counts_follow_reading_and_another_process(
    feeds_store: Path, no_config: Path
) -> None:
    app = ReaderApp(feeds_store, config_path=no_config)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert (entry(app, "Tech Daily").count, entry(app, "#tech").count,
                entry(app, "All").count) == (3, 5, 28)
        await choose(pilot, app, "Tech Daily")
        await pilot.press("enter")  # opens (and reads) Tech Daily story 0
        await settle(pilot)
        assert (entry(app, "Tech Daily").count, entry(app, "#tech").count,
                entry(app, "All").count, entry(app, "Unread").count) == (2, 4, 27, 27)
        await pilot.press("r")  # unread again
        await settle(pilot)
        assert entry(app, "Tech Daily").count == 3
        await pilot.press("s")
        await settle(pilot)
        assert entry(app, "Starred").count == 1
        # Two new articles (and the three known), as `reader refresh` in another terminal:
        follow(Store.open(feeds_store), "https://tech.example/feed", "Tech Daily", ["tech"], 5)
        main = app.main
        main.check_store()
        await settle(pilot)
        assert entry(app, "Tech Daily").count == 5
        assert len(main.headlines.rows) == 5, "the chosen feed's new articles are listed"
        shown = "\n".join(screen_lines(app))
        assert "Tech Daily · 5 of 5" in shown


async def test_a_failed_feed_is_marked_and_its_error_can_be_read(
    feeds_store: Path, no_config: Path
) -> None:
    app = ReaderApp(feeds_store, config_path=no_config)
    notes = record_notes(app)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert entry(app, "Broken [b]feed[/b]").mark == FAILED
        assert entry(app, "Gone Away").mark == GONE
        assert entry(app, "Tech Daily").mark == ""
        await pilot.press("f", "g", *["j"] * 5)  # the cursor on the failed feed
        await pilot.pause()
        lines = screen_lines(app)
        shown = "\n".join(lines)
        pane = [line[:30] for line in lines]
        assert any("! Broken [b]feed[/b]" in line for line in pane), "marked; drawn as text"
        assert "https://broken.example/feed" in shown
        error = main_text(app, "#feed-error")
        assert error == "! HTTP 500 [@click=app.quit]boom[/]", "the error, as text"
        assert "! HTTP 500" in shown and "[@click=app.quit]boom[/]" in shown, "on screen"
        await pilot.press("j")
        await wait_until(pilot, lambda: "× gone (410):" in "\n".join(screen_lines(app)),
                         "the gone feed's detail drawn")
        await pilot.press("k", "enter")
        await settle(pilot)
        assert app.main.headlines.border_title == "Broken \\[b]feed\\[/b] · 2 of 2"
        assert app.is_running and not [m for s, m in notes if s == "error"]


async def test_narrow_the_feeds_are_a_picker_on_f(feeds_store: Path, no_config: Path) -> None:
    app = ReaderApp(feeds_store, config_path=no_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = app.main
        assert not main.feeds_pane.display
        await pilot.press("f")
        assert main.feeds_pane.display and app.focused is main.feed_list
        assert not main.headlines.display, "the picker takes the list's place"
        assert "Kernel News" in "\n".join(screen_lines(app))
        await pilot.press("escape")  # closes, nothing chosen
        assert not main.feeds_pane.display and app.focused is main.headlines
        assert main.view == View()
        await choose(pilot, app, "Kernel News")
        assert not main.feeds_pane.display and main.headlines.display
        assert app.focused is main.headlines
        assert [h.feed for h in main.headlines.rows] == ["Kernel News"] * 2
        assert main.headlines.border_title == "Kernel News · 2 of 2"
        await pilot.press("f", "f")  # f again closes it too
        assert not main.feeds_pane.display and app.focused is main.headlines


async def test_200_feeds_draw_only_the_rows_on_screen(
    tmp_path: Path, no_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reader.store import Subscription

    path = tmp_path / "store"
    Store.open(path).subscribe_many(
        Subscription(f"https://site{n}.example/feed", f"Feed {n:03}", (f"tag{n % 10}",))
        for n in range(200)
    )
    drawn: list[str] = []
    original = FeedList._render_row

    def counting(self: FeedList, entry: Entry, *args: Any) -> Any:
        drawn.append(entry.name)
        return original(self, entry, *args)

    monkeypatch.setattr(FeedList, "_render_row", counting)
    app = ReaderApp(path, config_path=no_config)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        feeds = app.main.feed_list
        assert len(feeds.rows) == 3 + 10 + 200  # following feeds: no bundled articles
        assert 0 < len(set(drawn)) <= feeds.page_height
        drawn.clear()
        await pilot.press("f", "G")
        assert feeds.current is not None and feeds.current.name == "Feed 199"
        assert "Feed 199" in drawn and "Feed 100" not in drawn


async def test_split_keys_move_the_border_between_list_and_article(
    feeds_store: Path, no_config: Path
) -> None:
    app = ReaderApp(feeds_store, config_path=no_config)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        main = app.main
        before = main.headlines.region.width
        await pilot.press("greater_than_sign", "greater_than_sign")
        await pilot.pause()
        assert main.headlines.region.width > before
        await pilot.press(*["less_than_sign"] * 6)
        await pilot.pause()
        assert main.headlines.region.width < before
        assert main.article.region.width > main.headlines.region.width
        await pilot.resize_terminal(80, 24)  # stacked: the same keys move the border down
        await pilot.pause()
        await pilot.pause()
        assert main.headlines.region.width == 80
        assert main.headlines.region.height < main.article.region.height


# --- R: refresh ----------------------------------------------------------------------------


@pytest.fixture
def site() -> Iterator[FeedServer]:
    yield from serve("127.0.0.4")


def hold(server: FeedServer, path: str, body: bytes) -> tuple[threading.Event, threading.Event]:
    """Serve ``body`` at ``path`` once ``release`` is set; ``asked`` is set when a request
    arrives."""
    asked, release = threading.Event(), threading.Event()

    def route(h: Handler) -> None:
        asked.set()
        release.wait(CAP)
        h.reply(body)

    server.routes[path] = route
    return asked, release


async def test_R_refreshes_in_the_background_keeping_cursor_and_open_article(
    feed_store: Path, no_config: Path, site: FeedServer
) -> None:
    url = site.url("/news")
    site.feed("/news", rss("Local News", [("a", "Alpha"), ("b", "Beta")], published=NEWER))
    Store.open(feed_store).subscribe(url)
    app = ReaderApp(feed_store, config_path=no_config)
    notes = record_notes(app)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        main = app.main
        await pilot.press("R")
        await wait_until(pilot, lambda: not main.refreshing, "the first refresh ended")
        await settle(pilot)
        assert main.headlines.border_title == "22 of 22"
        assert any("1 feed refreshed: 2 new articles" in m for _, m in notes)
        assert entry(app, "Local News").count == 2
        await pilot.press("j", "j", "j", "enter", "escape", "j")  # read one, cursor below it
        await settle(pilot)
        opened, chosen, row = main.article.headline, main.headlines.current, main.headlines.cursor
        assert opened is not None and chosen is not None and opened is not chosen
        asked, release = hold(site, "/news", rss("Local News", [
            ("c", "Gamma"), ("d", "Delta"), ("a", "Alpha"), ("b", "Beta")],
            published=NEWER + 60))
        await pilot.press("R")
        await wait_until(pilot, asked.is_set, "the server was asked")
        assert "refreshing 0/1" in main.headlines.border_subtitle
        await pilot.press("j")  # a key while the refresh waits on the network
        assert main.headlines.current is not chosen, "the key was handled"
        assert main.refreshing and not release.is_set(), "during the refresh"
        await pilot.press("k")
        assert main.headlines.current is chosen
        release.set()
        await wait_until(pilot, lambda: not main.refreshing, "the refresh ended")
        await settle(pilot)
        titles = [h.title for h in main.headlines.rows]
        assert {"Gamma", "Delta"} <= set(titles)
        assert main.headlines.border_title == "24 of 24"
        assert main.headlines.current is not None
        assert main.headlines.current.id == chosen.id, "the cursor stayed on its article"
        assert main.headlines.cursor == row + 2, "two new rows above it"
        assert main.article.headline is opened, "the open article stayed open"
        assert opened.title in main.article.text.plain
        assert main.headlines.border_subtitle == ""
        assert any("1 feed refreshed: 2 new articles" in m for _, m in notes[1:])


async def test_the_refresh_runs_in_a_child_process_that_q_stops(
    feed_store: Path, no_config: Path, site: FeedServer
) -> None:
    asked, release = hold(site, "/slow", rss("Slow", [("s", "Slow news")], published=NEWER))
    Store.open(feed_store).subscribe(site.url("/slow"))
    app = ReaderApp(feed_store, config_path=no_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await wait_until(pilot, asked.is_set, "the server was asked")
        child = app.main.refresher
        assert child is not None and child.process.poll() is None
        assert child.process.pid != os.getpid(), "fetching and merging are not in the app"
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert child.process.poll() is not None, "the refresh ended with the app, not after it"
    release.set()


def test_the_refresh_child_ends_when_the_app_is_gone(
    tmp_path: Path, site: FeedServer
) -> None:
    """A child whose app died (its pipe broken) stops at its first result, quietly."""
    from reader.ui.refresher import child

    tried: list[str] = []

    class Gone(io.StringIO):
        def write(self, text: str) -> int:
            tried.append(text)
            raise BrokenPipeError(32, "Broken pipe")

    site.feed("/a", rss("A", [("a", "Alpha")]))
    site.feed("/b", rss("B", [("b", "Beta")]))
    store = Store.open(tmp_path / "store")
    store.subscribe(site.url("/a"))
    store.subscribe(site.url("/b"))
    assert child(str(tmp_path / "store"), 1, 1, Gone()) == 1
    assert len(tried) == 1, "it stopped at the first result it could not send"


def test_a_refresh_that_cannot_start_is_one_line(tmp_path: Path) -> None:
    from reader.ui.refresher import Refresher

    events = list(Refresher(tmp_path / "no-store", jobs=1, per_host=1).events())
    assert len(events) == 1 and isinstance(events[0], str)
    assert str(tmp_path / "no-store") in events[0] and "\n" not in events[0]


async def test_R_summarises_errors_and_marks_the_failed_feed(
    tmp_path: Path, no_config: Path, site: FeedServer
) -> None:
    path = tmp_path / "store"
    store = Store.open(path)
    good, bad, gone = site.url("/good"), site.url("/bad"), site.url("/gone")
    site.feed("/good", rss("Good", [("g", "Good news")], published=NEWER))
    site.status("/bad", 500)
    site.status("/gone", 410)
    for url in (good, bad, gone):
        store.subscribe(url)
    app = ReaderApp(path, config_path=no_config)
    notes = record_notes(app)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await wait_until(pilot, lambda: not app.main.refreshing, "the refresh ended")
        await settle(pilot)
        warned = [m for s, m in notes if s == "warning"]
        assert warned and warned[-1].startswith("3 feeds refreshed: 1 new article, 2 failed:")
        assert f"{bad}: HTTP 500" in warned[-1] and f"{gone}: gone (410)" in warned[-1]
        feeds = {e.mark: e for e in app.main.feed_list.rows
                 if e.view.kind == "feed" and site.host in e.detail}
        assert sorted(feeds) == sorted(["", FAILED, GONE])
        assert feeds[""].name == "Good" and feeds[""].count == 1
        assert "HTTP 500" in feeds[FAILED].error and bad in feeds[FAILED].detail
        assert feeds[GONE].error == "gone (410): no longer fetched"
        assert "Good news" in [h.title for h in app.main.headlines.rows]


async def test_an_automatic_refresh_runs_at_the_configured_interval(
    feed_store: Path, tmp_path: Path, site: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("refresh_interval = 15\n")
    site.feed("/auto", rss("Auto", [("x", "Fresh from the timer")], published=NEWER))
    Store.open(feed_store).subscribe(site.url("/auto"))
    timers: list[tuple[float, Any]] = []
    real = MainScreen.set_interval

    def spy(self: MainScreen, interval: float, callback: Any = None, **kw: Any) -> Any:
        timers.append((interval, callback))
        return real(self, interval, callback, **kw)

    monkeypatch.setattr(MainScreen, "set_interval", spy)
    app = ReaderApp(feed_store, config_path=config)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        every = [callback for interval, callback in timers if interval == 15 * 60]
        assert len(every) == 1
        every[0]()  # the timer fires
        await wait_until(pilot, lambda: not app.main.refreshing, "the refresh ended")
        await settle(pilot)
        assert "Fresh from the timer" in [h.title for h in app.main.headlines.rows]


async def test_no_automatic_refresh_by_default(
    feed_store: Path, no_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    intervals: list[float] = []
    real = MainScreen.set_interval

    def spy(self: MainScreen, interval: float, *args: Any, **kw: Any) -> Any:
        intervals.append(interval)
        return real(self, interval, *args, **kw)

    monkeypatch.setattr(MainScreen, "set_interval", spy)
    app = ReaderApp(feed_store, config_path=no_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert [i for i in intervals if i > 1] == [3.0], "only the check for other processes"


# --- A and u -------------------------------------------------------------------------------


async def test_A_marks_the_view_as_searched_read_and_u_undoes_exactly_that(
    feeds_store: Path, no_config: Path
) -> None:
    app = ReaderApp(feeds_store, config_path=no_config)
    notes = record_notes(app)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        main = app.main
        await choose(pilot, app, "World news | The Guardian")
        await pilot.press("slash", *"putin", "enter")
        await settle(pilot)
        shown = list(main.headlines.rows)
        assert 5 < len(shown) < 20
        await pilot.press("enter", "escape")  # one of them read before A
        await settle(pilot)
        before_a = shown[0]
        assert before_a.read
        await pilot.press("A")
        await settle(pilot)
        assert any(f"Marked {len(shown) - 1} articles read; u undoes it" in m for _, m in notes)
        on_disk = {h.id: h for h in Store.open(feeds_store).headlines()}
        assert all(on_disk[h.id].read for h in shown)
        others = [h for h in on_disk.values() if h.id not in {s.id for s in shown}]
        assert not any(h.read for h in others), "nothing outside the view as searched"
        assert entry(app, "World news | The Guardian").count == 20 - len(shown)
        await pilot.press("u")
        await settle(pilot)
        on_disk = {h.id: h for h in Store.open(feeds_store).headlines()}
        assert on_disk[before_a.id].read, "read before A: stays read"
        assert not any(on_disk[h.id].read for h in shown[1:])
        assert entry(app, "World news | The Guardian").count == 19
        await pilot.press("u")
        assert notes[-1] == ("information", "Nothing to undo")


# --- the settings file -----------------------------------------------------------------------


async def test_a_key_override_takes_effect_and_shows_in_the_help(
    feeds_store: Path, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keys]\n"reader.mark_all_read" = "M"\nreader.feeds = "F,f"\n')
    app = ReaderApp(feeds_store, config_path=config)
    notes = record_notes(app)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert notes == []
        await pilot.press("A")
        await settle(pilot)
        assert entry(app, "All").count == 28, "A is no longer mark-all"
        await pilot.press("M")
        await settle(pilot)
        assert entry(app, "All").count == 0
        await pilot.press("F")
        assert app.focused is app.main.feed_list
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = dict((text, keys) for keys, text in app.screen.rows)
        assert rows["Mark every article in the list read (as searched)"] == "M"
        assert rows["Feeds and tags (a picker when narrow); Enter chooses"] == "F / f"


async def test_a_bad_settings_file_is_a_notification_and_defaults(
    feeds_store: Path, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('jobs = 0\ntheme = "no-such-theme"\n[keys]\n"reader.nope" = "x"\n')
    app = ReaderApp(feeds_store, config_path=config)
    notes = record_notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        warned = "\n".join(m for s, m in notes if s == "warning")
        assert f"{config}, line 1: jobs: must be a whole number from 1 to 64" in warned
        assert "no theme called 'no-such-theme'; using textual-dark" in warned
        assert "keys.reader.nope: no such key binding, ignored" in warned
        assert app.main.config.jobs == 8 and app.theme == "textual-dark"
        await pilot.press("j")
        assert app.main.headlines.cursor == 1, "the app works on defaults"


async def test_a_settings_file_that_is_not_toml(feeds_store: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("refresh_interval = = 3\n")
    app = ReaderApp(feeds_store, config_path=config)
    notes = record_notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert [s for s, _ in notes] == ["warning"]
        assert "line 1: refresh_interval: not valid TOML" in notes[0][1]
        assert "every setting is at its default" in notes[0][1]


async def test_the_theme_chosen_in_the_palette_is_remembered(
    feeds_store: Path, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("# my settings\njobs = 4\n")
    app = ReaderApp(feeds_store, config_path=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("T")
        await pilot.pause()
        await pilot.press(*"nord", "enter")
        await settle(pilot)
        assert app.theme == "nord"
    assert config.read_text() == "# my settings\njobs = 4\ntheme = \"nord\"\n"
    assert load_config(config)[0].theme == "nord"
    again = ReaderApp(feeds_store, config_path=config)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert again.theme == "nord"
