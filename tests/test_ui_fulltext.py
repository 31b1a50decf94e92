"""Whole articles in the app (issue 10), with Pilot: F fetches the open article's page in the
background, t switches texts, L opens a link, a saves a page, e switches whole articles for a
feed, R fetches the new articles' pages, and all of it reads and searches offline afterwards.

Pages come from a local server (tests/test_fulltext.py) serving the seed articles whole
(fixtures/pages); the feed's items link to it. What the pane shows is read from what the app
drew, and what was kept from the store on disk.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input

from reader.fulltext import SAVED
from reader.store import Store
from reader.ui.app import ReaderApp
from reader.ui.dialogs import FeedSettingsScreen, LinksScreen, SavePageScreen
from tests.conftest import settle
from tests.test_app import record_notes
from tests.test_fulltext import PAGES, TRUTH, Server, follow_seed, serve, serve_seed
from tests.test_ui_feeds import entry, wait_until
from tests.test_ui_keys import screen_lines

INVITES = "kim-jong-un-invites-putin-to-north-korea-after-summit-brings-ties-to-a.html"
STATUE = "statue-of-founder-of-soviet-secret-police-unveiled-in-moscow.html"
ONLY_ON_THE_PAGE = "cosmodrome"  # in the invites article's page, not in the feed's text


@pytest.fixture
def site() -> Iterator[Server]:
    yield from serve("127.0.0.6")


@pytest.fixture
def followed(tmp_path: Path, site: Server) -> tuple[Path, dict[str, str]]:
    """A store of the seed feed's 20 items, linking to ``site``; article ids by page name."""
    serve_seed(site)
    path = tmp_path / "store"
    return path, follow_seed(Store.open(path), site)


def no_config(tmp_path: Path) -> Path:
    return tmp_path / "absent.toml"


async def open_article(pilot, app: ReaderApp, article_id: str) -> None:  # type: ignore[no-untyped-def]
    """Down the list to the article, then Enter, as a user would."""
    main = app.main
    await pilot.press("escape", "g")
    row = next(i for i, head in enumerate(main.headlines.rows) if head.id == article_id)
    await pilot.press(*["j"] * row, "enter")
    await wait_until(pilot, lambda: main.article.content is not None, "the article loaded")


def shown(app: ReaderApp) -> str:
    return app.main.article.text.plain


async def test_F_fetches_the_open_article_whole_in_the_background(
    followed: tuple[Path, dict[str, str]], site: Server, tmp_path: Path
) -> None:
    path, ids = followed
    app = ReaderApp(path, config_path=no_config(tmp_path))
    notes = record_notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.main
        await open_article(pilot, app, ids[STATUE])
        assert "(F fetches the whole article)" in shown(app)
        row = main.headlines.cursor
        site.hold = 0.5  # the page takes a while: the keys must not wait for it
        await pilot.press("F")
        assert "fetching the whole article from its page…" in shown(app)
        assert "fetching 1 page" in main.headlines.border_subtitle
        await pilot.press("escape", "j", "k")  # keys while the page is on its way
        assert main.headlines.cursor == row and main.fetching, "answered during the fetch"
        await wait_until(pilot, lambda: not main.fetching, "the page was fetched")
        await settle(pilot)
        text = shown(app)
        truth = TRUTH[STATUE]
        assert text.startswith(truth["title"])
        assert "the whole article, from its page (t: the feed's text · L: its 2 links)" in text
        for paragraph in truth["article"][truth["in_feed"]:]:  # beyond what the feed carries
            assert paragraph.split(" [")[0][:40] in text
        assert f"[image: {truth['images'][0]}] [1]" in text
        assert "Links\n[1] https://" in text and f"[2] {site.url('/world/lubyanka')}" in text
        assert "From: " + site.url(truth["path"]) in text
        assert main.headlines.border_subtitle == ""
        assert not any("whole article" in message for _, message in notes), "the pane says it"
    content = Store.open(path).content(ids[STATUE])
    assert content.full_text is not None and content.links[1] == site.url("/world/lubyanka")


async def test_a_paywall_keeps_the_feeds_text_and_says_why_once(
    followed: tuple[Path, dict[str, str]], site: Server, tmp_path: Path
) -> None:
    path, ids = followed
    site.page(TRUTH[INVITES]["path"], (PAGES / "paywall.html").read_bytes())
    app = ReaderApp(path, config_path=no_config(tmp_path))
    notes = record_notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.main
        await open_article(pilot, app, ids[INVITES])
        before = shown(app)
        await pilot.press("F")
        await wait_until(pilot, lambda: not main.fetching, "the page was fetched")
        await settle(pilot)
        text = shown(app)
        reason = "the page has less text than the feed"
        assert text.count(reason) == 1, "the reason is shown once, in the pane"
        assert "no whole article: " + reason in text and "(F tries again)" in text
        assert not any(reason in message for _, message in notes)
        # The feed's text is all still there, and nothing is offered to switch to.
        assert text.split("\n", 3)[3] == before.split("\n", 2)[2].replace(
            " (F fetches the whole article)", "")
        await pilot.press("t")
        await pilot.pause()
        assert any("no whole text yet: F fetches it" in message for _, message in notes)
        await pilot.press("L")  # only the article's own page to choose
        await pilot.pause()
        assert isinstance(app.screen, LinksScreen) and len(app.screen.links) == 1
    assert Store.open(path).content(ids[INVITES]).full_text_error is not None


async def test_t_switches_between_the_whole_article_and_the_feeds_text(
    followed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    path, ids = followed
    store = Store.open(path)
    store.set_full_text(ids[INVITES], ["The whole first paragraph.", "A second one [1]."],
                        ["https://www.un.org/securitycouncil/sanctions/1718"])
    app = ReaderApp(path, config_path=no_config(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_article(pilot, app, ids[INVITES])
        whole = shown(app)
        assert "The whole first paragraph." in whole and "[1] https://www.un.org/" in whole
        standfirst = store.content(ids[INVITES]).standfirst
        assert standfirst not in whole
        await pilot.press("t")
        feeds = shown(app)
        assert standfirst in feeds and "The whole first paragraph." not in feeds
        assert "the feed's text (t: the whole article, 2 paragraphs)" in feeds
        assert "Continue reading: " in feeds and "Links" not in feeds
        await pilot.press("t")
        assert shown(app) == whole
        await pilot.press("t", "escape", "j", "k", "enter")  # open it again: whole again
        await wait_until(pilot, lambda: app.main.article.content is not None, "loaded")
        assert shown(app) == whole


async def test_L_chooses_a_link_and_opens_only_http(
    followed: tuple[Path, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, ids = followed
    Store.open(path).set_full_text(
        ids[INVITES], ["Text [1] and more [2]."],
        ["https://www.un.org/securitycouncil/sanctions/1718", "javascript:alert(1)"])
    log = tmp_path / "opened"
    browser = tmp_path / "firefox"  # a graphical browser: started in the background
    browser.write_text(f'#!/bin/sh\necho "$1" >> {log}\n')
    browser.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(browser))

    def started() -> list[str]:
        return log.read_text().splitlines() if log.exists() else []

    app = ReaderApp(path, config_path=no_config(tmp_path))
    notes = record_notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_article(pilot, app, ids[INVITES])
        await pilot.press("L")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, LinksScreen)
        lines = "\n".join(screen_lines(app))
        assert "[1] https://www.un.org/securitycouncil/sanctions/1718" in lines
        assert "[2] javascript:alert(1)  not http or https: not opened" in lines
        page = app.main.article.headline.link  # type: ignore[union-attr]
        assert page[:60] in lines, "a long link is shown (wrapped), not dropped"
        assert dialog.links[0] == ("page", app.main.article.headline.link)  # type: ignore[union-attr]
        await pilot.press("j", "enter")
        await settle(pilot)
        assert app.screen is app.main
        await wait_until(pilot, lambda: started() != [], "the browser was started")
        assert started() == ["https://www.un.org/securitycouncil/sanctions/1718"]
        await pilot.press("L", "j", "j", "enter")
        await settle(pilot)
        assert any("only http and https links are opened" in message for _, message in notes)
        await pilot.press("L", "escape")
        await settle(pilot)
        assert app.screen is app.main
        assert started() == ["https://www.un.org/securitycouncil/sanctions/1718"], (
            "javascript: is never opened")


async def test_a_saves_a_page_into_the_saved_feed(
    tmp_path: Path, site: Server
) -> None:
    name, truth = next(iter(TRUTH.items()))
    site.page("/read-later", (PAGES / name).read_bytes())
    path = tmp_path / "store"
    Store.open(path).merge([], authoritative=True, source=site.url("/feed.xml"))
    app = ReaderApp(path, config_path=no_config(tmp_path))
    notes = record_notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.main
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, SavePageScreen)
        await pilot.press(*"ftp://x", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SavePageScreen), "a bad URL keeps the dialog open"
        assert "'ftp://x' is not an http or https URL" in "\n".join(screen_lines(app))
        assert main.query_text == "" and main.search_bar.value == "", "not the search"
        field = app.screen.query_one(Input)
        field.value = ""
        await pilot.press(*site.url("/read-later"), "enter")
        await pilot.pause()
        assert app.screen is main
        await wait_until(pilot, lambda: len(main.headlines.rows) == 1, "the page is saved")
        await settle(pilot)
        assert main.headlines.rows[0].title == truth["title"]
        assert any(message.startswith(f"Saved “{truth['title'][:20]}") for _, message in notes)
        assert entry(app, "Saved").count == 1
        await pilot.press("enter")
        await wait_until(pilot, lambda: main.article.content is not None, "loaded")
        assert "the whole article, from its page" in shown(app)
        await pilot.press("a", "escape")
        await pilot.pause()
        assert app.screen is main
    saved = [h for h in Store.open(path).headlines() if h.feed_url == SAVED]
    assert len(saved) == 1


async def test_e_switches_whole_articles_tags_and_days_for_a_feed(
    followed: tuple[Path, dict[str, str]], site: Server, tmp_path: Path
) -> None:
    path, _ = followed
    feed_url = site.url("/feed.xml")
    store = Store.open(path)
    record = store.feed(feed_url)
    assert record is not None and not record["full_text"]
    app = ReaderApp(path, config_path=no_config(tmp_path))
    notes = record_notes(app)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        rows = app.main.feed_list.rows
        name = next(e for e in rows if e.view.kind == "feed")
        await pilot.press("f", "g", *["j"] * list(rows).index(name), "e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, FeedSettingsScreen)
        assert not dialog.query_one(Checkbox).value
        await pilot.press("space", "tab", *"news, world", "tab", *"0x")
        keep = dialog.query_one("#settings-keep", Input)
        assert keep.value == "0", "the field takes digits only"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog, "0 days is not a keep: nothing saved"
        assert "keep: a whole number of days from 1 to 36500" in "\n".join(screen_lines(app))
        await pilot.press("backspace", *"14", "enter")
        await settle(pilot)
        assert app.screen is app.main
        assert any("whole articles on; #news #world; read articles kept 14 days" in message
                   for _, message in notes)
        assert "#news" in [e.name for e in app.main.feed_list.rows]
        assert "whole articles" in entry(app, name.name).detail
        await pilot.press("e", "space", "escape")  # cancelled: nothing changes
        await settle(pilot)
    record = Store.open(path).feed(feed_url)
    assert record is not None
    assert (record["full_text"], record["tags"], record["keep_days"]) == (
        True, ["news", "world"], 14)


async def test_R_fetches_the_new_articles_pages_of_a_whole_articles_feed_then_offline(
    tmp_path: Path, site: Server
) -> None:
    """Subscribe with whole articles on, refresh in the app, then read and search offline in
    a new session: the whole text is there and a word only on the page finds it."""
    serve_seed(site)
    feed = (Path(__file__).parent.parent / "fixtures" / "feed.xml").read_text("utf-8")
    feed = feed.replace("https://www.theguardian.com/", site.url("/"))
    site.page("/feed.xml", feed.encode(), "application/rss+xml")
    path = tmp_path / "store"
    Store.open(path).subscribe(site.url("/feed.xml"), full_text=True)
    app = ReaderApp(path, config_path=no_config(tmp_path))
    notes = record_notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.main
        await pilot.press("R")
        await wait_until(pilot, lambda: main.refreshing, "the refresh began")
        await wait_until(pilot, lambda: not main.refreshing, "the refresh ended")
        await settle(pilot)
        assert any("1 feed refreshed: 20 new articles\nWhole articles: 20 fetched" in message
                   for _, message in notes)
        assert main.headlines.border_title == "20 of 20"

    site.stop.set()
    site.shutdown()  # offline from here on
    again = ReaderApp(path, config_path=no_config(tmp_path))
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = again.main
        await wait_until(pilot, lambda: len(main.index) == 20, "the index is loaded")
        await pilot.press("slash", *ONLY_ON_THE_PAGE, "enter")
        await settle(pilot)
        assert [h.title for h in main.headlines.rows] == [TRUTH[INVITES]["title"]]
        await pilot.press("enter")
        await wait_until(pilot, lambda: main.article.content is not None, "loaded")
        text = shown(again)
        assert "the whole article, from its page" in text
        assert ONLY_ON_THE_PAGE in text.lower()


async def test_the_new_keys_are_in_the_help(
    followed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    path, _ = followed
    app = ReaderApp(path, config_path=no_config(tmp_path))
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        help_text = "\n".join(screen_lines(app))
        for key, words in [("F", "Fetch the whole article"), ("t", "whole article or the feed"),
                           ("L", "The article's links"), ("a", "Save a web page"),
                           ("e", "Feed settings")]:
            assert any(line.strip("│ ").startswith(f"{key} ") and words in line
                       for line in help_text.splitlines()), (key, help_text)


async def test_a_failed_fetch_of_an_article_already_whole_says_so_and_keeps_it(
    followed: tuple[Path, dict[str, str]], site: Server, tmp_path: Path
) -> None:
    path, ids = followed
    app = ReaderApp(path, config_path=no_config(tmp_path))
    notes = record_notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.main
        await open_article(pilot, app, ids[STATUE])
        await pilot.press("F")
        await wait_until(pilot, lambda: not main.fetching, "the page was fetched")
        whole = shown(app)
        site.routes.clear()  # the page is gone now: 404
        await pilot.press("F")
        await wait_until(pilot, lambda: not main.fetching, "the second fetch ended")
        await settle(pilot)
        assert shown(app) == whole, "the whole article fetched before stays"
        assert any(severity == "warning" and "404" in message
                   and "the full text fetched before is kept" in message
                   for severity, message in notes), "the pane cannot say it: a notification"
