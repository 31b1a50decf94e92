"""The app driven from the keyboard and mouse, as a person would, with Pilot."""

from __future__ import annotations

import errno
import io
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.binding import Binding

from reader.store import Store
from reader.ui.app import ReaderApp
from reader.ui.article_view import ArticleView
from reader.ui.headlines import HeadlineList
from reader.ui.help_screen import HelpScreen
from reader.ui.main_screen import MainScreen
from reader.ui.search_bar import SearchBar
from tests.conftest import settle


def article_text(app: ReaderApp) -> str:
    return app.screen.query_one(ArticleView).text.plain


def record_notes(app: ReaderApp) -> list[tuple[str, str]]:
    """(severity, message) of every notification from now on, through the public notify."""
    notes: list[tuple[str, str]] = []
    notify = app.notify

    def recording(message: str, **kwargs: Any) -> None:
        notes.append((kwargs.get("severity", "information"), message))
        notify(message, **kwargs)

    app.notify = recording  # type: ignore[method-assign]
    return notes


async def test_first_run_fills_store_from_bundled_seed(tmp_path: Path) -> None:
    app = ReaderApp(tmp_path / "new-store")
    notes = record_notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        headlines = app.screen.query_one(HeadlineList)
        assert len(headlines.rows) == 20
        assert headlines.border_title == "20 of 20"
        assert any("added 20 bundled articles" in m for _, m in notes)
    assert len(Store.open(tmp_path / "new-store")) == 20


async def test_a_store_following_feeds_not_yet_fetched_is_no_first_run(tmp_path: Path) -> None:
    """After `reader opml import` (or `add --no-fetch`) the store has feeds but no articles:
    the reader must not mix the bundled demo articles in with the user's feeds."""
    Store.open(tmp_path / "store").subscribe("https://example.org/feed.xml")
    app = ReaderApp(tmp_path / "store")
    notes = record_notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.main.headlines.border_title == "0 of 0"
        assert not any("bundled" in m for _, m in notes)
    assert len(Store.open(tmp_path / "store")) == 0


async def test_list_is_newest_first_with_dates(feed_store: Path) -> None:
    app = ReaderApp(feed_store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        rows = app.screen.query_one(HeadlineList).rows
        dates = [r.published for r in rows]
        assert all(d is not None for d in dates)
        assert dates == sorted(dates, reverse=True)


async def test_keys_move_the_cursor(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        headlines = app.screen.query_one(HeadlineList)
        await pilot.press("j", "j", "down")
        assert headlines.cursor == 3
        await pilot.press("k", "up")
        assert headlines.cursor == 1
        await pilot.press("G")
        assert headlines.cursor == 19
        await pilot.press("g")
        assert headlines.cursor == 0
        await pilot.press("end")
        assert headlines.cursor == 19
        await pilot.press("home", "pagedown")
        assert headlines.cursor > 3
        await pilot.press("pageup")
        assert headlines.cursor == 0


async def test_enter_opens_article_marks_it_read_and_focuses_pane(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        headlines = app.screen.query_one(HeadlineList)
        await pilot.press("j", "enter")
        head = headlines.rows[1]
        assert isinstance(app.focused, ArticleView)
        text = article_text(app)
        assert head.title in text
        assert "Russia’s propagandists trumpeted" in text  # the standfirst
        assert head.read
    assert Store.open(seed_store).get(head.id).read  # type: ignore[union-attr]


async def test_article_pane_shows_link_date_author_after_feed_import(feed_store: Path) -> None:
    app = ReaderApp(feed_store)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        text = article_text(app)
        head = app.screen.query_one(HeadlineList).rows[0]
        assert head.author and head.author in text
        assert "Continue reading: https://www.theguardian.com/" in text
        assert head.published_at is not None
        assert head.published_at.strftime("%d %b %Y") in text


async def test_space_pages_the_article(feed_store: Path) -> None:
    app = ReaderApp(feed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        article = app.screen.query_one(ArticleView)
        assert article.scroll_y == 0
        await pilot.press("space")
        await pilot.pause()
        assert article.scroll_y > 0


async def test_search_as_you_type_narrows_and_escape_clears(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        headlines = app.screen.query_one(HeadlineList)
        await pilot.press("slash")
        assert isinstance(app.focused, SearchBar)
        await pilot.press(*"erdogan")
        await settle(pilot)
        assert [r.title for r in headlines.rows] == [
            "No sign of Black Sea grain breakthrough after Erdoğan-Putin talks"
        ]
        assert headlines.border_title == "1 of 20"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one(SearchBar).value == ""
        assert len(headlines.rows) == 20
        await pilot.press("escape")
        assert isinstance(app.focused, HeadlineList)


async def test_search_highlights_matches_in_the_article(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"putin's", "enter")
        await settle(pilot)
        await pilot.press("enter")
        rendered = app.screen.query_one(ArticleView).text
        spans = [s for s in rendered.spans if "reverse" in str(s.style)]
        assert spans
        matched = {rendered.plain[s.start : s.end] for s in spans}
        assert matched == {"Putin’s"}


async def test_n_and_p_move_between_unread(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    notes = record_notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        headlines = app.screen.query_one(HeadlineList)
        headlines.rows[1].read = True
        await pilot.press("n")
        assert headlines.cursor == 0 and headlines.rows[0].read
        await pilot.press("n")
        assert headlines.cursor == 2, "skips the read article at row 1"
        await pilot.press("n")
        assert headlines.cursor == 3
        await pilot.press("p")
        assert headlines.cursor == 3, "rows 0-2 are read now: nothing unread above"
        assert any("No more unread articles above" in m for _, m in notes)
        headlines.rows[1].read = False
        await pilot.press("p")
        assert headlines.cursor == 1


async def test_r_and_s_toggle_and_persist(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        head = app.screen.query_one(HeadlineList).rows[0]
        await pilot.press("r", "s")
        await settle(pilot)  # flags show once the store lane has saved them
        assert head.read and head.starred
    again = Store.open(seed_store).get(head.id)
    assert again is not None and again.read and again.starred
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
    again = Store.open(seed_store).get(head.id)
    assert again is not None and not again.read and again.starred


async def test_o_opens_only_http_links(
    feed_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(feed_store)
    victim = store.headlines()[1]
    from reader.article import Item

    store.merge(
        [Item(title=victim.title, guid=victim.guid, link="javascript:alert(1)")],
        authoritative=True,
        source=victim.feed_url,
    )
    opened = tmp_path / "opened"
    browser = tmp_path / "firefox"  # a graphical browser by name: started in the background
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(browser))
    app = ReaderApp(feed_store)
    notes = record_notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        first = app.screen.query_one(HeadlineList).rows[0].link
        await pilot.press("j", "o")
        await settle(pilot)
        assert any("only http and https" in m for _, m in notes)
    for _ in range(100):  # the browser runs on its own; give it time to write
        if opened.exists():
            break
        time.sleep(0.05)
    assert opened.read_text().split() == [first]


async def test_help_lists_every_key_and_closes(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(app.screen.table)
        shown = console.export_text()
        for binding in [*ReaderApp.BINDINGS, *MainScreen.BINDINGS, *HeadlineList.BINDINGS]:
            assert isinstance(binding, Binding)
            assert binding.tooltip and binding.tooltip in shown
        for needed in ("j / ↓", "PgDn", "PgUp", "Enter", "Space", "Tab", "Esc", "q / Ctrl+C"):
            assert needed in shown
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_tab_cycles_focus(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        seen = []
        for _ in range(3):
            await pilot.press("tab")
            seen.append(type(app.focused))
        assert set(seen) == {SearchBar, HeadlineList, ArticleView}
        await pilot.press("shift+tab")
        assert type(app.focused) is seen[1]


async def test_click_opens_a_headline(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        headlines = app.screen.query_one(HeadlineList)
        await pilot.click(HeadlineList, offset=(10, 3))
        await pilot.pause()
        assert headlines.cursor == 2
        assert headlines.rows[2].title in article_text(app)


async def test_q_quits(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_damaged_store_is_reported_not_overwritten(seed_store: Path) -> None:
    index = seed_store / "00000.heads.json"
    index.write_bytes(b'{"heads": {"1": {"id": "x"')
    app = ReaderApp(seed_store)
    notes = record_notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        errors = [m for severity, m in notes if severity == "error"]
        assert errors and "00000.heads.json" in errors[0]
        assert app.screen.query_one(HeadlineList).rows == []
    assert index.read_bytes() == b'{"heads": {"1": {"id": "x"'


async def test_a_missing_headlines_file_is_damage_not_a_first_run(seed_store: Path) -> None:
    """Deleting a file must not make the app think the store is new and seed it."""
    (seed_store / "00000.heads.json").unlink()
    before = sorted(p.name for p in seed_store.iterdir())
    app = ReaderApp(seed_store)
    notes = record_notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        errors = [m for severity, m in notes if severity == "error"]
        assert errors and "00000.heads.json: missing" in errors[0]
        assert not any("bundled articles" in m for _, m in notes)
        assert app.screen.query_one(HeadlineList).rows == []
    assert sorted(p.name for p in seed_store.iterdir()) == before


async def test_articles_imported_by_another_process_appear(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        other = Store.open(seed_store)  # a second handle: what `reader import` would do
        from reader.article import Item

        other.merge(
            [Item(title="Late news from elsewhere", guid="late-1")],
            authoritative=True, source="https://late.example/feed",
        )
        app.main.check_store()
        await settle(pilot)
        headlines = app.screen.query_one(HeadlineList)
        assert headlines.border_title == "21 of 21"
        assert "Late news from elsewhere" in [r.title for r in headlines.rows]
        await pilot.press("slash", *"elsewhere")
        await settle(pilot)
        assert [r.title for r in headlines.rows] == ["Late news from elsewhere"]


async def test_first_paint_comes_from_the_first_screen_cache(
    feed_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    newest = Store.open(feed_store).headlines()[0]
    early = Store.first_screen(feed_store)
    assert [h.id for h in early][:1] == [newest.id]
    release = threading.Event()
    opening = Store.open.__func__  # type: ignore[attr-defined]

    def slow_open(cls: type[Store], path: Path) -> Store:
        release.wait(10)  # the whole store loads only when the test says so
        return opening(cls, path)  # type: ignore[no-any-return]

    monkeypatch.setattr(Store, "open", classmethod(slow_open))
    app = ReaderApp(feed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):
            if app.screen.query_one(HeadlineList).rows:
                break
            await pilot.pause(0.02)
        assert app.store is None
        rows = app.screen.query_one(HeadlineList).rows
        assert len(rows) == 20 and rows[0].id == newest.id
        assert app.screen.query_one(HeadlineList).border_title == "loading…"
        release.set()
        await settle(pilot)
        assert app.store is not None


async def test_disk_full_on_a_flag_write_is_a_notification(
    seed_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = ReaderApp(seed_store)
    notes = record_notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        head = app.screen.query_one(HeadlineList).rows[0]

        def full(fd: int) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr("reader.storage.os.fsync", full)
        await pilot.press("s")
        await settle(pilot)
        assert not head.starred, "the flag is not shown as saved"
        errors = [m for severity, m in notes if severity == "error"]
        assert errors and "disk full" in errors[-1]
        assert app.is_running
    monkeypatch.undo()
    again = Store.open(seed_store).get(head.id)
    assert again is not None and not again.starred


async def test_a_flag_set_by_another_process_shows_without_reindexing(
    seed_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(100):  # the index is synced once the list is on screen
            if len(app.main.index) == 20:
                break
            await pilot.pause(0.05)
        index = app.main.index
        assert len(index) == 20
        syncs = []
        real = index.sync
        monkeypatch.setattr(index, "sync", lambda *a, **k: syncs.append(1) or real(*a, **k))
        first = app.screen.query_one(HeadlineList).rows[0]
        Store.open(seed_store).set_starred(first.id)  # what a second reader would do
        app.main.check_store()
        await settle(pilot)
        shown = app.screen.query_one(HeadlineList).rows[0]
        assert shown.id == first.id and shown.starred
        assert syncs == [], "a flag change must not touch the search index"


async def test_a_keystroke_in_the_search_never_reprs_the_list(
    seed_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual describes a worker by repr() of its arguments unless told otherwise: with the
    list passed to the search worker, every keystroke cost a repr of every headline (half a
    second on the UI thread at 100,000)."""
    from reader.article import Headline

    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        calls: list[int] = []
        monkeypatch.setattr(Headline, "__repr__", lambda self: calls.append(1) or "h")
        await pilot.press("slash", *"putin")
        await settle(pilot)
        assert app.screen.query_one(HeadlineList).rows  # the search ran and found
        assert calls == []
