"""Every key does what it says (issue 8) and the app hosts screens (issue 7), with Pilot.

What is on screen is read from the app's own screenshot (the SVG it exports), so a row that
was changed but not redrawn shows as the user would see it: stale.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Footer, Input
from textual.widgets._footer import FooterKey

from reader.article import Item
from reader.search import Searcher
from reader.store import Store
from reader.ui.app import ReaderApp
from reader.ui.article_view import ArticleView
from reader.ui.headlines import HeadlineList
from reader.ui.help_screen import HelpScreen
from reader.ui.main_screen import MainScreen
from reader.ui.search_bar import MAX_QUERY, SearchBar
from tests.conftest import settle

_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
                   r'clip-path="url\(#[\w-]+-line-(\d+)\)">([^<]*)</text>')


def screen_lines(app: ReaderApp) -> list[str]:
    """The terminal as the user sees it, one string per line, from the app's screenshot."""
    svg = app.export_screenshot()
    width, height = app.size
    grid = [[" "] * width for _ in range(height)]
    for x, line, text in _TEXT.findall(svg):
        column = round(float(x) / 12.2)
        for offset, char in enumerate(html.unescape(text).replace("\xa0", " ")):
            if 0 <= column + offset < width and int(line) < height:
                grid[int(line)][column + offset] = char
    return ["".join(row).rstrip() for row in grid]


def visible_rows(headlines: HeadlineList) -> range:
    top = round(headlines.scroll_offset.y)
    return range(top, min(top + headlines.page_height, len(headlines.rows)))


def cursor_is_drawn(headlines: HeadlineList) -> bool:
    """The cursor row is on screen and drawn with the cursor's background."""
    if headlines.cursor not in visible_rows(headlines):
        return False
    strip = headlines.render_line(headlines.cursor - round(headlines.scroll_offset.y))
    cursor = headlines.get_component_rich_style("headlines--cursor")
    return any(s.style is not None and s.style.bgcolor == cursor.bgcolor for s in strip)


@pytest.fixture
def big_store(tmp_path: Path) -> Path:
    """300 dated articles from three feeds."""
    path = tmp_path / "big"
    store = Store.open(path)
    items = [
        Item(title=f"Story number {n} about the harbour and the {n % 7} bridges",
             standfirst=f"Standfirst {n}.", body=[f"Body of story {n}."], guid=f"g{n}",
             link=f"https://example.org/{n}", feed=f"Feed {n % 3}",
             published=1_700_000_000 - n * 60)
        for n in range(300)
    ]
    for feed in range(3):
        store.merge(items[feed::3], authoritative=True, source=f"https://feed{feed}.example/rss")
    return path


# --- issue 7: the app hosts screens ------------------------------------------------------


class Dialog(ModalScreen[None]):
    def compose(self) -> ComposeResult:
        yield Input(id="dialog-input")


async def test_main_screen_is_pushed_and_holds_the_panes(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        for widget in (SearchBar, HeadlineList, ArticleView, Footer):
            assert app.screen.query(widget)


async def test_a_dialogs_input_does_not_touch_the_search(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = app.main
        before = [h.id for h in main.headlines.rows]
        await app.push_screen(Dialog())
        await pilot.pause()
        assert isinstance(app.focused, Input)
        await pilot.press(*"erdogan")
        await settle(pilot)
        assert app.screen.query_one("#dialog-input", Input).value == "erdogan"
        assert main.query_text == ""
        assert main.search_bar.value == ""
        assert [h.id for h in main.headlines.rows] == before


def _all_bindings() -> list[Any]:
    return [*ReaderApp.BINDINGS, *MainScreen.BINDINGS, *HeadlineList.BINDINGS,
            *ArticleView.BINDINGS, *HelpScreen.BINDINGS]


def test_every_binding_has_an_id_and_a_description() -> None:
    for binding in _all_bindings():
        assert binding.id and binding.id.startswith("reader."), binding
        assert binding.description, binding


async def test_keys_can_be_rebound_by_id_and_the_help_follows(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.set_keymap({"reader.zoom": "x"})
        await pilot.press("x")
        assert app.main.has_class("-zoom")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        row = next(keys for keys, text in app.screen.rows if "whole screen" in text)
        assert row == "x"


async def test_help_lists_each_key_once_from_the_bindings(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = [key for row, _ in app.screen.rows for key in row.split(" / ")]
        assert len(keys) == len(set(keys)), keys
        texts = [text for _, text in app.screen.rows]
        assert len(texts) == len(set(texts))
        for binding in [*MainScreen.BINDINGS, *HeadlineList.BINDINGS, *ReaderApp.BINDINGS]:
            assert binding.tooltip in texts
        assert "Space" in keys and "Esc" in keys and "Enter" in keys


def test_the_model_imports_no_textual() -> None:
    import subprocess
    import sys

    code = (
        "import pkgutil, importlib, sys, reader\n"
        "for m in pkgutil.walk_packages(reader.__path__, 'reader.'):\n"
        "    if not m.name.startswith(('reader.ui', 'reader.__main__')):\n"
        "        importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] == 'textual')\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parent.parent, timeout=60,
                         stdin=subprocess.DEVNULL)
    assert out.stdout.strip() == "[]"


# --- issue 7 item 6: no disk work on the UI thread -----------------------------------------


@pytest.fixture
def disk_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, bool]]]:
    """(Store method, called on the main thread?) for every store call that touches disk."""
    calls: list[tuple[str, bool]] = []
    for name in ("content", "set_read", "set_starred", "refresh", "first_screen"):
        original = getattr(Store, name)

        def spy(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
            calls.append((_name, threading.current_thread() is threading.main_thread()))
            return _original(*args, **kw)

        monkeypatch.setattr(Store, name, staticmethod(spy) if name == "first_screen" else spy)
    yield calls


async def test_store_reads_and_writes_never_run_on_the_ui_thread(
    seed_store: Path, disk_calls: list[tuple[str, bool]]
) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")  # content + set_read
        await settle(pilot)
        await pilot.press("s", "r")  # flags on the open article
        await settle(pilot)
        app.main.check_store()  # the periodic check for other processes
        await settle(pilot)
        head = app.main.headlines.rows[1]
        assert head.starred and not head.read
        names = {name for name, _ in disk_calls}
        assert {"content", "set_read", "set_starred", "refresh", "first_screen"} <= names
        on_ui = [name for name, main in disk_calls if main]
        assert on_ui == []


async def test_the_ui_answers_while_an_article_is_still_loading(
    seed_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    original = Store.content

    def slow(self: Store, article_id: str) -> Any:
        release.wait(10)  # a store locked by another process, a slow disk
        return original(self, article_id)

    monkeypatch.setattr(Store, "content", slow)
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        headlines = app.main.headlines
        await pilot.press("enter", "escape", "j", "j")
        assert headlines.cursor == 2, "keys are answered while the article loads"
        assert "loading…" in app.main.article.text.plain
        release.set()
        await settle(pilot)
        assert "loading…" not in app.main.article.text.plain
        assert headlines.rows[0].read, "opening marks read, as before"


# --- issue 8 --------------------------------------------------------------------------------


async def test_page_down_and_up_keep_the_cursor_visible_and_highlighted(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        headlines = app.main.headlines
        await pilot.press("g", "pagedown")
        assert headlines.cursor > 0 and cursor_is_drawn(headlines)
        await pilot.press("pagedown", "pagedown", "pagedown")
        assert headlines.cursor == 19 and cursor_is_drawn(headlines)
        await pilot.press("pageup")
        assert headlines.cursor < 19 and cursor_is_drawn(headlines)
        await pilot.press("enter")
        shown = visible_rows(headlines)
        assert app.main.article.headline is headlines.rows[headlines.cursor]
        assert headlines.cursor in shown


async def test_page_keys_on_a_big_store_at_160x48(big_store: Path) -> None:
    app = ReaderApp(big_store)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        headlines = app.main.headlines
        for key in ("pagedown",) * 5 + ("pageup",) * 3 + ("G", "pageup", "g", "pagedown"):
            await pilot.press(key)
            assert cursor_is_drawn(headlines), key


async def test_clearing_a_search_keeps_the_article_under_the_cursor_in_view(
    seed_store: Path,
) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        headlines = app.main.headlines
        await pilot.press("slash", *"prigozhin", "enter")
        await settle(pilot)
        assert len(headlines.rows) > 3
        await pilot.press("j", "j")
        chosen = headlines.current
        await pilot.press("slash", "escape")
        await settle(pilot)
        await pilot.pause()
        assert len(headlines.rows) == 20
        assert headlines.current is chosen
        assert headlines.cursor > headlines.page_height, "the case that used to go off screen"
        assert cursor_is_drawn(headlines)


async def test_escape_steps_back_one_level_wherever_focus_is(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = app.main
        await pilot.press("slash", *"putin", "enter")
        await settle(pilot)
        narrowed = len(main.headlines.rows)
        assert narrowed < 20
        await pilot.press("enter")
        assert app.focused is main.article
        await pilot.press("escape")  # article -> list, the search stays
        assert app.focused is main.headlines
        assert len(main.headlines.rows) == narrowed
        await pilot.press("escape")  # list -> the search is cleared
        await settle(pilot)
        assert main.search_bar.value == "" and len(main.headlines.rows) == 20
        assert app.focused is main.headlines


async def test_r_and_s_in_the_article_pane_redraw_that_row_at_once(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = app.main
        await pilot.press("j", "enter")  # row 1 open (and read)
        await settle(pilot)
        await pilot.press("shift+tab", "k", "tab")  # cursor back on row 0, focus on the article
        assert app.focused is main.article and main.headlines.cursor == 0
        await pilot.press("s", "r")
        await settle(pilot)
        row = next(line for line in screen_lines(app) if main.headlines.rows[1].title[:30] in line)
        assert "★●" in row, row


async def test_a_graphical_browser_does_not_freeze_the_app(
    feed_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log, release = tmp_path / "log", tmp_path / "release"
    browser = tmp_path / "chromium"
    browser.write_text(
        f'#!/bin/sh\necho "opened $1" >> {log}\n'
        f"i=0; while [ ! -e {release} ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done\n"
        f"echo closed >> {log}\n"
    )
    browser.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(browser))
    app = ReaderApp(feed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        link = app.main.headlines.rows[0].link
        await pilot.press("o")
        for _ in range(100):
            if log.exists():
                break
            await pilot.pause(0.02)
        await pilot.press("j")
        assert app.main.headlines.cursor == 1
        assert log.read_text() == f"opened {link}\n", "the app answered while the browser ran"
        release.touch()


async def test_a_terminal_browser_gets_the_terminal_and_the_app_comes_back(
    feed_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "log"
    browser = tmp_path / "w3m"
    browser.write_text(f'#!/bin/sh\necho "$*" >> {log}\n')
    browser.chmod(0o755)
    monkeypatch.setenv("BROWSER", f"{browser} -o confirm_qq=false")
    suspended: list[bool] = []
    app = ReaderApp(feed_store)
    real_suspend = app.suspend

    from contextlib import contextmanager

    @contextmanager
    def suspend() -> Iterator[None]:  # the headless test driver cannot hand over a terminal
        suspended.append(True)
        yield

    monkeypatch.setattr(app, "suspend", suspend)
    assert real_suspend is not None
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        link = app.main.article.headline.link  # type: ignore[union-attr]
        await pilot.press("o")
        assert suspended == [True]
        assert log.read_text() == f"-o confirm_qq=false {link}\n", "w3m ran inside the suspension"
        assert app.focused is app.main.article and app.main.headlines.cursor == 1


async def test_a_burst_of_2000_keys_is_capped_and_costs_few_searches(
    seed_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    searches: list[str] = []
    original = Searcher.search

    def counting(self: Searcher, text: str, *args: Any, **kw: Any) -> Any:
        searches.append(text)
        return original(self, text, *args, **kw)

    monkeypatch.setattr(Searcher, "search", counting)
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        bar = app.main.search_bar
        burst = ("putin " * 400)[:2000]
        for char in burst:  # as fast as a paste: all queued before any is handled
            bar.post_message(events.Key(char if char != " " else "space", char))
        await settle(pilot)
        for _ in range(50):
            if not app.main._searching:
                break
            await pilot.pause(0.02)
        assert bar.value == burst[:MAX_QUERY]
        assert app.main.query_text == burst[:MAX_QUERY]
        assert len(searches) <= 10, f"{len(searches)} searches for 2,000 keys"
        assert searches[-1] == burst[:MAX_QUERY]
        assert app.main.headlines.border_title.endswith("of 20")


async def test_ctrl_c_quits_and_saves_like_q(seed_store: Path) -> None:
    top = seed_store / "top.json"
    top.unlink(missing_ok=True)
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        head = app.main.headlines.rows[3]
        await pilot.press("j", "j", "j", "s", "ctrl+c")
        await pilot.pause()
        assert not app.is_running
    assert top.exists(), "the first-screen cache is written on the way out"
    again = Store.open(seed_store).get(head.id)
    assert again is not None and again.starred


async def test_ctrl_c_quits_from_the_search_bar_too(seed_store: Path) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", "a", "ctrl+c")
        await pilot.pause()
        assert not app.is_running


# --- issue 8 items 9, 10: layout --------------------------------------------------------------


async def test_80x24_gives_list_and_article_more_lines(feed_store: Path) -> None:
    app = ReaderApp(feed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        main = app.main
        assert main.headlines.page_height >= 9, "was 7"
        assert main.article.scrollable_content_region.height >= 10, "was 9"
        head = main.article.headline
        assert head is not None
        lines = main.article.text.plain.split("\n")
        title_lines = 2  # this title wraps once at 80 columns
        assert head.author in lines[1] and "theguardian.com" in lines[1]
        assert lines[2] == "", "one meta line, then the text"
        assert not any(line.startswith("https://") for line in lines[:title_lines + 2])


async def test_z_gives_the_article_the_whole_screen_and_back(feed_store: Path) -> None:
    app = ReaderApp(feed_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = app.main
        await pilot.press("enter", "z")
        await pilot.pause()
        assert main.article.region.height >= 22 and main.article.region.width == 80
        assert not main.headlines.display
        await pilot.press("z")
        await pilot.pause()
        assert main.headlines.display and main.headlines.region.height > 0
        await pilot.press("z", "escape")
        await pilot.pause()
        assert main.headlines.display and app.focused is main.headlines


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 48)])
async def test_footer_labels_are_whole(seed_store: Path, size: tuple[int, int]) -> None:
    app = ReaderApp(seed_store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        keys = list(app.screen.query(FooterKey))
        assert {k.description for k in keys} >= {"Quit", "Keys", "Search", "Read", "Link"}
        footer = screen_lines(app)[-1]
        for key in keys:
            assert key.region.right <= size[0], key.description
            assert key.description in footer


async def test_titles_get_most_of_the_list_at_120x40(big_store: Path, feed_store: Path) -> None:
    for store, feeds in ((big_store, True), (feed_store, False)):
        app = ReaderApp(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            headlines = app.main.headlines
            assert headlines.show_feed is feeds
            width = headlines.scrollable_content_region.width
            lines = screen_lines(app)
            head = headlines.rows[0]
            row = next(line for line in lines if head.title[:15] in line)
            start = row.index(head.title[:15])
            left = row.rindex("│", 0, start) + 1 if "│" in row[:start] else 0
            title_width = width - (start - left)
            assert title_width >= 0.55 * width, (title_width, width, row)


# --- which browser (reader.links.browser_for: the rule `o` follows) ---------------------------


@pytest.mark.parametrize(
    ("browser", "kind", "argv"),
    [
        ("firefox", "graphical", ("firefox", "https://e.org/a")),
        ("/usr/bin/google-chrome --incognito", "graphical",
         ("/usr/bin/google-chrome", "--incognito", "https://e.org/a")),
        ("w3m", "terminal", ("w3m", "https://e.org/a")),
        ("lynx -accept_all_cookies %s", "terminal",
         ("lynx", "-accept_all_cookies", "https://e.org/a")),
        ("my-own-browser", "terminal", ("my-own-browser", "https://e.org/a")),
        ("elinks:firefox", "terminal", ("elinks", "https://e.org/a")),
    ],
)
def test_browser_rule_from_browser_variable(browser: str, kind: str, argv: tuple[str, ...]) -> None:
    from reader.links import browser_for

    chosen = browser_for("https://e.org/a", {"BROWSER": browser}, platform="linux")
    assert chosen is not None and (chosen.kind, chosen.argv) == (kind, argv)


def test_browser_rule_without_browser_variable(tmp_path: Path) -> None:
    from reader.links import browser_for

    url = "https://e.org/a"
    with_display = browser_for(url, {"DISPLAY": ":0", "PATH": str(tmp_path)}, platform="linux")
    assert with_display is not None and with_display.kind == "system"
    assert browser_for(url, {"PATH": str(tmp_path)}, platform="linux") is None
    lynx = tmp_path / "lynx"
    lynx.write_text("#!/bin/sh\n")
    lynx.chmod(0o755)
    found = browser_for(url, {"PATH": str(tmp_path)}, platform="linux")
    assert found is not None and found.kind == "terminal" and found.argv == (str(lynx), url)
