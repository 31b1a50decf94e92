"""The app in a real terminal (tmux on a private server): signals, a terminal browser, no TTY.

The app runs as `python -m reader` from this checkout, so the code under test is the code
beside these tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.store import Store
from tests.test_terminal import keys, start, stop, tmux, wait_for

ROOT = Path(__file__).parent.parent
PYTHON = sys.executable


@pytest.fixture
def sessions() -> Iterator[list[str]]:
    started: list[str] = []
    yield started
    for name in started:
        stop(name)


def reader_in_tmux(
    sessions: list[str], store: Path, tmp_path: Path, env: str = "",
    size: tuple[int, int] = (100, 30),
) -> tuple[str, int]:
    """Start the app in tmux; (session, pid of the app's process)."""
    pidfile = tmp_path / "pid"
    name = start(
        f"cd {ROOT} && {env} sh -c 'echo $$ > {pidfile}; exec {PYTHON} -m reader --db {store}'; "
        "echo EXITED-$?; sleep 60",
        size=size,
    )
    sessions.append(name)
    for _ in range(200):
        if pidfile.exists() and pidfile.read_text().strip():
            return name, int(pidfile.read_text())
        time.sleep(0.05)
    raise AssertionError("the app never started")


def pane_state(name: str) -> dict[str, str]:
    """What the terminal is left in: alternate screen, cursor shown, mouse reporting."""
    fields = ("alternate_on", "cursor_flag", "mouse_any_flag", "mouse_standard_flag")
    shown = tmux("display-message", "-p", "-t", name, " ".join(f"#{{{f}}}" for f in fields),
                 socket=name).split()
    return dict(zip(fields, shown, strict=True))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_a_signal_restores_the_terminal_and_saves(
    sessions: list[str], seed_store: Path, tmp_path: Path, signum: int
) -> None:
    name, pid = reader_in_tmux(sessions, seed_store, tmp_path)
    wait_for(name, "20 of 20")
    assert pane_state(name)["alternate_on"] == "1"
    first = Store.open(seed_store).headlines()[0]
    keys(name, "s")  # star the first article: the first-screen cache must learn it on the way out
    time.sleep(0.5)
    os.kill(pid, signum)
    shown = wait_for(name, "EXITED-")
    assert "20 of 20" not in shown, "the app's screen is gone"
    state = pane_state(name)
    assert state == {"alternate_on": "0", "cursor_flag": "1", "mouse_any_flag": "0",
                     "mouse_standard_flag": "0"}, state
    cached = Store.first_screen(seed_store)
    assert cached and cached[0].id == first.id and cached[0].starred, "saved as q saves"


def test_a_terminal_browser_gets_the_terminal_and_gives_it_back(
    sessions: list[str], feed_store: Path, tmp_path: Path
) -> None:
    browser = tmp_path / "lynx"
    browser.write_text('#!/bin/sh\necho "FAKE-LYNX showing $1"\nread answer\n')
    browser.chmod(0o755)
    name, _ = reader_in_tmux(sessions, feed_store, tmp_path, env=f"BROWSER={browser}")
    wait_for(name, "20 of 20")
    keys(name, "j", "Enter")
    title = Store.open(feed_store).headlines()[1].title
    wait_for(name, title[:40])
    keys(name, "o")
    shown = wait_for(name, "FAKE-LYNX showing https://")
    assert "20 of 20" not in shown, "the browser has the terminal to itself"
    keys(name, "Enter")
    shown = wait_for(name, "20 of 20")
    assert title[:40] in shown, "back at the same article"
    keys(name, "q")
    wait_for(name, "EXITED-0")


def test_require_terminal_names_what_is_missing(tmp_path: Path) -> None:
    code = "from reader.ui.terminal import require_terminal; print(require_terminal())"
    with open(tmp_path / "out", "w") as out:
        subprocess.run([PYTHON, "-c", code], stdin=subprocess.DEVNULL, stdout=out,
                       cwd=ROOT, timeout=60, check=True)
    line = (tmp_path / "out").read_text().strip()
    assert line.startswith("reader: error: the app needs a terminal")
    assert "input and output are not one" in line
    assert "\n" not in line


def test_require_terminal_is_quiet_in_a_terminal(sessions: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = (
        "from reader.ui.terminal import require_terminal as r; "
        f"open('{out}', 'w').write(repr(r()))"
    )
    name = start(f"cd {ROOT} && {PYTHON} -c \"{code}\"; echo DONE; sleep 60")
    sessions.append(name)
    wait_for(name, "DONE")
    assert out.read_text() == "None"


def test_the_app_without_a_terminal_says_so_and_exits_2(tmp_path: Path) -> None:
    """`reader < /dev/null > file`: one line on stderr, exit 2, nothing in the file."""
    out = tmp_path / "out"
    with open(out, "w") as stdout:
        done = subprocess.run(
            [PYTHON, "-m", "reader", "--db", str(tmp_path / "store")],
            stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE, text=True,
            cwd=ROOT, timeout=20,
        )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "needs a terminal" in done.stderr
    assert out.read_text() == ""


def test_the_feeds_column_and_R_in_a_real_terminal(
    sessions: list[str], tmp_path: Path
) -> None:
    """At 160x48 the feeds are a column; R fetches a feed from a local server in the
    background and its article appears; q gives the terminal back."""
    from tests.test_refresh import rss, serve

    served = serve("127.0.0.5")
    site = next(served)
    try:
        site.feed("/news", rss("Terminal Times", [("t1", "Fresh from the terminal")],
                               published=1_700_000_000))
        store = tmp_path / "store"
        Store.open(store).subscribe(site.url("/news"))
        settings = tmp_path / "settings.toml"
        name, _ = reader_in_tmux(sessions, store, tmp_path, env=f"READER_CONFIG={settings}",
                                 size=(160, 48))
        shown = wait_for(name, "0 of 0")  # a feed followed, not fetched yet: no first run
        assert "Feeds" in shown and "Unread" in shown and "127.0.0.5" in shown
        keys(name, "R")
        shown = wait_for(name, "Fresh from the terminal")
        shown = wait_for(name, "1 of 1")
        assert "Terminal Times" in shown, "the feed's title, in the pane and the list"
        wait_for(name, "1 feed refreshed: 1 new article")
        keys(name, "q")
        shown = wait_for(name, "EXITED-0")
        assert "1 of 1" not in shown
        assert pane_state(name) == {"alternate_on": "0", "cursor_flag": "1",
                                    "mouse_any_flag": "0", "mouse_standard_flag": "0"}
    finally:
        served.close()


def test_whole_articles_read_and_searched_offline_in_a_real_terminal(
    sessions: list[str], tmp_path: Path
) -> None:
    """Issue 10's trial: `reader add URL --full-text` on a truncated feed, the server gone,
    then in tmux a word found only on the page finds the article, which opens whole; t shows
    the feed's text; q gives the terminal back."""
    from tests.test_fulltext import TRUTH, serve, serve_seed

    served = serve("127.0.0.7")
    site = next(served)
    try:
        serve_seed(site)
        feed = (ROOT / "fixtures" / "feed.xml").read_text("utf-8")
        site.page("/feed.xml", feed.replace("https://www.theguardian.com/", site.url("/"))
                  .encode(), "application/rss+xml")
        store = tmp_path / "store"
        added = subprocess.run(
            [PYTHON, "-m", "reader", "--db", str(store), "add", site.url("/feed.xml"),
             "--full-text"], capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert added.returncode == 0 and added.stdout.count(" kept ") == 20, added.stderr
    finally:
        served.close()  # offline from here on
    name, _ = reader_in_tmux(sessions, store, tmp_path, size=(120, 40))
    wait_for(name, "20 of 20")
    keys(name, "/", "cosmodrome", "Enter", "Enter")
    shown = wait_for(name, "the whole article, from its page")
    title = TRUTH["kim-jong-un-invites-putin-to-north-korea-after-summit-brings-ties-to-a.html"]
    assert "1 of 20" in shown and title["title"][:30] in shown.replace("\n", " ")
    keys(name, "t")
    wait_for(name, "the feed's text (t: the whole article")
    keys(name, "q")
    wait_for(name, "EXITED-0")
    assert pane_state(name)["alternate_on"] == "0"
