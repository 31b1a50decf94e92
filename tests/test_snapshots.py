"""SVG snapshots of the main screens at 80x24, 120x40 and 160x48 (look at them:
tests/__snapshots__).

The store is filled from the fixtures, so dates, authors and links are those of the RSS feed
and every run draws the same screen; the user's own settings file is never read.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from reader.ui.app import ReaderApp
from tests.conftest import settle
from tests.test_ui_feeds import fill_feeds_store

SIZES = [(80, 24), (120, 40), (160, 48)]


async def indexed(pilot: Pilot[None]) -> None:
    """Wait for what the screens depend on: the store open and the full-text index built."""
    app = pilot.app
    assert isinstance(app, ReaderApp)
    while not (app.store is not None and len(app.main.index) == len(app.store)):
        await pilot.pause(0.02)
    await settle(pilot)


def _keys(*keys: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await indexed(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_article_open(snap_compare, feed_store: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """The list with the second article open and read; the cursor row highlighted."""
    assert snap_compare(ReaderApp(feed_store), terminal_size=size, run_before=_keys("j", "enter"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_search_in_progress(snap_compare, feed_store: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """'kim' typed in the search bar: the list narrowed, 'N of 20' in its border."""
    keys = _keys("slash", "k", "i", "m")
    assert snap_compare(ReaderApp(feed_store), terminal_size=size, run_before=keys)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_article_zoomed(snap_compare, feed_store: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """z: the open article alone on the screen, the footer still there."""
    keys = _keys("enter", "z")
    assert snap_compare(ReaderApp(feed_store), terminal_size=size, run_before=keys)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help_screen(snap_compare, feed_store: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """The key reference over the reader."""
    keys = _keys("question_mark")
    assert snap_compare(ReaderApp(feed_store), terminal_size=size, run_before=keys)


@pytest.mark.parametrize(("size", "keys"), [((80, 24), ("f", "j", "j", "j", "j", "j")),
                                            ((160, 48), ("f", "j", "j", "j", "j", "j"))],
                         ids=["80x24-picker", "160x48-column"])
def test_feeds_pane(snap_compare, tmp_path: Path, size: tuple[int, int],  # type: ignore[no-untyped-def]
                    keys: tuple[str, ...]) -> None:
    """The feeds: All, Unread, Starred, the tags, the feeds with unread counts, a failed one
    (!) under the cursor with its error in the detail lines, a gone one (×). A picker at 80
    columns, a column at 160."""
    store = fill_feeds_store(tmp_path / "store")
    assert snap_compare(ReaderApp(store), terminal_size=size, run_before=_keys(*keys))


def whole_statue_article(path: Path) -> int:
    """Keep the statue article's whole text, extracted from its page in fixtures/pages as
    `F` would (links resolved against the article's own link, so the screen never changes);
    its row in the list."""
    from reader.extract import Worker
    from reader.store import Store

    store = Store.open(path)
    row, head = next((n, h) for n, h in enumerate(store.headlines()) if "Statue" in h.title)
    page = Path(__file__).parent.parent / "fixtures" / "pages" / (
        "statue-of-founder-of-soviet-secret-police-unveiled-in-moscow.html")
    worker = Worker()
    try:
        got = worker.extract(page.read_bytes(), "text/html; charset=utf-8", head.link,
                             head.title, store.content(head.id).standfirst)
    finally:
        worker.close()
    store.set_full_text(head.id, got.paragraphs, got.links)
    return row


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_article_whole(snap_compare, feed_store: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """An article fetched whole: the status line, a picture placeholder and link numbers in
    the text; zoomed and scrolled to the end at 80x24, where its links are listed."""
    row = whole_statue_article(feed_store)
    keys = ["j"] * row + ["enter"] + (["z", "end"] if size == (80, 24) else [])
    assert snap_compare(ReaderApp(feed_store), terminal_size=size, run_before=_keys(*keys))
