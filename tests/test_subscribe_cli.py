"""The commands of following feeds (add, remove, feeds, refresh, mark-read, expire), run as a
subprocess the way people and scripts run them, against servers on loopback addresses."""

from __future__ import annotations

import email.utils
import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.store import Store
from tests.test_refresh import ONE, FeedServer, rss, serve

ROOT = Path(__file__).parent.parent
FIXTURE = ROOT / "fixtures" / "feed.xml"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
DAY = 86400


def reader(*args: str, db: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reader", "--db", str(db), *args], capture_output=True,
        text=True, timeout=120, env=ENV, cwd=cwd,
    )


def one_error(result: subprocess.CompletedProcess[str]) -> str:
    """The run failed with exactly one line on stderr, in the CLI's format, no traceback."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("reader: error: ")
    return lines[0]


def feeds(db: Path) -> list[dict[str, object]]:
    result = reader("feeds", "--json", db=db)
    assert result.returncode == 0, result.stderr
    listed: list[dict[str, object]] = json.loads(result.stdout)
    return listed


def page(*links: tuple[str, str]) -> bytes:
    tags = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="{href}" title="{title}">'
        for href, title in links
    )
    return f"<!DOCTYPE html><html><head>{tags}</head><body>Hello</body></html>".encode()


def html(server: FeedServer, path: str, body: bytes) -> None:
    server.routes[path] = lambda h: h.reply(body, "text/html; charset=utf-8")


@pytest.fixture
def site() -> Iterator[FeedServer]:
    yield from serve("127.0.0.2")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "db"


def snapshot(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}


# --- add -----------------------------------------------------------------------------------


def test_add_fetches_at_once_and_adding_again_changes_nothing(site: FeedServer, db: Path) -> None:
    site.feed("/f", ONE, etag='"1"')
    url = site.url("/f")
    first = reader("add", url, "--tag", "news", db=db)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [f"{url}: added 2, updated 0, unchanged 0"]
    before = snapshot(db)
    again = reader("add", url, "--tag", "other", db=db)
    assert again.returncode == 0 and again.stderr == ""
    assert again.stdout.splitlines() == [f"{url}: already followed"]
    assert snapshot(db) == before
    assert site.paths() == ["/f"]
    [feed] = feeds(db)
    assert (feed["url"], feed["tags"], feed["total"]) == (url, ["news"], 2)


def test_add_a_page_follows_the_one_feed_it_links_to(site: FeedServer, db: Path) -> None:
    html(site, "/blog/", page(("feed.xml", "Posts")))
    site.feed("/blog/feed.xml", ONE)
    result = reader("add", site.url("/blog/"), "--tag", "a", "--tag", "b", db=db)
    assert result.returncode == 0, result.stderr
    feed_url = site.url("/blog/feed.xml")  # resolved against the page
    assert result.stdout.splitlines() == [f"{feed_url}: added 2, updated 0, unchanged 0"]
    [feed] = feeds(db)
    assert (feed["url"], feed["title"], feed["tags"]) == (feed_url, "One", ["a", "b"])


def test_add_a_page_with_several_feeds_lists_them_and_follows_none(
    site: FeedServer, db: Path
) -> None:
    html(site, "/", page(("/posts.xml", "Posts"), ("/comments.xml", "Comments")))
    site.feed("/posts.xml", ONE)
    site.feed("/comments.xml", rss("Comments", [("c", "A comment")]))
    listed = reader("add", site.url("/"), db=db)
    assert one_error(listed) == (
        f"reader: error: {site.url('/')}: links to 2 feeds; add one of them, or every one "
        "with --all"
    )
    assert listed.stdout.splitlines() == [
        f"{site.url('/posts.xml')}     Posts",
        f"{site.url('/comments.xml')}  Comments",
    ]
    assert feeds(db) == []
    assert site.paths() == ["/"]
    every = reader("add", site.url("/"), "--all", db=db)
    assert every.returncode == 0, every.stderr
    assert every.stdout.splitlines() == [
        f"{site.url('/posts.xml')}: added 2, updated 0, unchanged 0",
        f"{site.url('/comments.xml')}: added 1, updated 0, unchanged 0",
    ]
    assert sorted(str(f["url"]) for f in feeds(db)) == [
        site.url("/comments.xml"), site.url("/posts.xml"),
    ]


def test_add_a_page_without_a_feed_is_one_line_and_follows_nothing(
    site: FeedServer, db: Path
) -> None:
    html(site, "/", page())
    result = reader("add", site.url("/"), db=db)
    assert one_error(result) == (
        f"reader: error: {site.url('/')}: a web page that links to no RSS or Atom feed "
        "(not followed)"
    )
    assert feeds(db) == []


def test_add_a_url_that_fails_follows_nothing(site: FeedServer, db: Path) -> None:
    result = reader("add", site.url("/missing"), db=db)
    assert one_error(result) == (
        f"reader: error: {site.url('/missing')}: HTTP 404 Not Found (not followed)"
    )
    assert feeds(db) == []


def test_add_without_fetching_makes_no_request_and_keeps_the_settings(
    site: FeedServer, db: Path
) -> None:
    url = site.url("/later")
    result = reader("add", url, "--no-fetch", "--full-text", "--tag", "b", "--tag", "a", db=db)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"{url}: followed (not fetched yet)"]
    assert site.log == []
    feed = Store.open(db).feed(url)
    assert feed is not None
    assert (feed["subscribed"], feed["full_text"], feed["tags"]) == (True, True, ["a", "b"])


def test_add_a_local_file_follows_its_absolute_path(tmp_path: Path, db: Path) -> None:
    (tmp_path / "here").mkdir()
    (tmp_path / "here" / "feed.xml").write_bytes(ONE)
    result = reader("add", "feed.xml", db=db, cwd=tmp_path / "here")
    path = str(tmp_path / "here" / "feed.xml")
    assert result.stdout.splitlines() == [f"{path}: added 2, updated 0, unchanged 0"]
    (tmp_path / "here" / "feed.xml").write_bytes(rss("One", [("a", "Alpha"), ("z", "Zed")]))
    again = reader("refresh", db=db)
    assert again.stdout.splitlines() == [f"{path}: added 1, updated 0, unchanged 1"]


def test_an_empty_tag_is_refused(db: Path) -> None:
    result = reader("add", "http://127.0.0.2:9/f", "--no-fetch", "--tag", "\x1b[2J", db=db)
    assert one_error(result) == "reader: error: --tag: a tag must have a visible name"


# --- remove --------------------------------------------------------------------------------


def test_remove_keeps_starred_articles_and_unknown_is_one_line(
    site: FeedServer, db: Path
) -> None:
    site.feed("/f", rss("F", [("1", "Kept"), ("2", "Gone"), ("3", "Also gone")]))
    url = site.url("/f")
    reader("add", url, db=db)
    store = Store.open(db)
    kept = next(h for h in store.headlines() if h.title == "Kept")
    store.set_starred(kept.id)
    result = reader("remove", url, db=db)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{url}: no longer followed; 2 articles deleted, 1 starred kept"
    ]
    assert [h.title for h in Store.open(db).headlines()] == ["Kept"]
    assert feeds(db) == []
    unknown = reader("remove", url + "x", db=db)
    assert one_error(unknown) == (
        f"reader: error: {url}x: no such feed (reader feeds lists them)"
    )


# --- feeds ---------------------------------------------------------------------------------


def test_feeds_json_keys_and_plain_columns(site: FeedServer, db: Path) -> None:
    site.feed("/good", rss("Good news", [("1", "A"), ("2", "B")]))
    site.feed("/broken", rss("Broken 中文", [("3", "C")]))
    site.feed("/gone", rss("Gone", [("4", "D")]))
    for path, tag in (("/good", "x"), ("/broken", "y"), ("/gone", "z")):
        assert reader("add", site.url(path), "--tag", tag, db=db).returncode == 0
    store = Store.open(db)
    store.set_read(next(h.id for h in store.headlines() if h.title == "A"))
    site.routes.pop("/broken")
    site.status("/gone", 410)
    assert reader("refresh", db=db).returncode == 1
    listed = {str(f["url"]): f for f in feeds(db)}
    for feed in listed.values():
        assert list(feed) == ["url", "title", "tags", "unread", "total", "updated", "error"]
    good = listed[site.url("/good")]
    assert (good["title"], good["tags"], good["unread"], good["total"], good["error"]) == (
        "Good news", ["x"], 1, 2, None
    )
    assert isinstance(good["updated"], str) and good["updated"].endswith("Z")
    assert time.time() - datetime_of(good["updated"]) < 600
    assert listed[site.url("/broken")]["error"] == "HTTP 404 Not Found"
    assert listed[site.url("/gone")]["error"] == "gone (410)"
    plain = reader("feeds", db=db).stdout.splitlines()
    assert plain[0].split() == ["TITLE", "UNREAD", "TOTAL", "UPDATED", "TAGS", "URL"]
    rows = [line for line in plain[1:] if not line.startswith("  error: ")]
    assert [row.split()[0] for row in rows] == ["Broken", "Gone", "Good"]
    from rich.cells import cell_len

    url_column = {cell_len(line[: line.index("http://")]) for line in rows}
    assert len(url_column) == 1  # aligned in terminal cells, the wide title too
    assert plain[plain.index(rows[0]) + 1] == "  error: HTTP 404 Not Found"
    assert plain[plain.index(rows[1]) + 1] == "  error: gone (410)"


def datetime_of(iso: object) -> float:
    from datetime import datetime

    assert isinstance(iso, str)
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


# --- refresh -------------------------------------------------------------------------------


def test_refresh_piped_one_line_per_feed_and_a_failing_feed_fails_the_run(
    site: FeedServer, db: Path
) -> None:
    site.feed("/a", rss("A", [("1", "One")]), etag='"a"')
    site.feed("/b", rss("B", [("2", "Two")]))
    site.feed("/bad", rss("Bad", [("3", "Three")]))
    for path in ("/a", "/b", "/bad"):
        reader("add", site.url(path), db=db)
    site.feed("/b", rss("B", [("2", "Two"), ("4", "Four")]))
    site.status("/bad", 500)
    result = reader("refresh", db=db)
    assert one_error(result) == (
        f"reader: error: {site.url('/bad')}: HTTP 500 Internal Server Error"
    )
    assert sorted(result.stdout.splitlines()) == [
        f"{site.url('/a')}: not modified",
        f"{site.url('/b')}: added 1, updated 0, unchanged 1",
    ]
    assert "\r" not in result.stdout + result.stderr  # no progress bar when piped
    assert len(Store.open(db).headlines()) == 4
    site.routes.pop("/bad")
    site.feed("/bad", rss("Bad", [("3", "Three")]))
    assert reader("refresh", site.url("/bad"), "--jobs", "1", db=db).returncode == 0


def test_refresh_with_nothing_followed_says_so(db: Path) -> None:
    result = reader("refresh", db=db)
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr == "reader: no feed is followed yet (reader add URL follows one)\n"


def test_refresh_skips_gone_and_waiting_feeds_with_a_line_each(
    site: FeedServer, db: Path
) -> None:
    site.status("/gone", 410)
    site.status("/busy", 503, Retry_After="3600")
    for path in ("/gone", "/busy"):
        reader("add", site.url(path), "--no-fetch", db=db)
    assert reader("refresh", db=db).returncode == 1
    again = reader("refresh", db=db)
    assert again.returncode == 0, again.stderr
    lines = sorted(again.stdout.splitlines())
    assert lines[0].startswith(f"{site.url('/busy')}: skipped until ")
    assert lines[0].endswith(" UTC (the server asked to wait)")
    assert lines[1] == f"{site.url('/gone')}: skipped, gone (410): no longer fetched"
    assert len(site.log) == 2


def test_refresh_on_a_terminal_draws_a_progress_bar_and_erases_it(
    site: FeedServer, db: Path
) -> None:
    for n in range(2):
        site.feed(f"/{n}", rss(f"F{n}", [(str(n), f"T{n}")]))
        reader("add", site.url(f"/{n}"), "--no-fetch", db=db)
    out = run_on_a_terminal(["refresh"], db)
    assert "[..............................] 0/2 feeds" in out
    assert "[##############################] 2/2 feeds" in out
    for n in range(2):
        assert f"{site.url(f'/{n}')}: added 1, updated 0, unchanged 0\r\n" in out
    bar = "[##############################] 2/2 feeds"
    assert out.endswith("\r" + " " * len(bar) + "\r")  # the bar is gone at the end
    assert "\x1b" not in out  # plain text


def run_on_a_terminal(args: list[str], db: Path) -> str:
    """Run the reader with stdout and stderr on a pseudo-terminal; everything it wrote."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "reader", "--db", str(db), *args], stdin=follower,
        stdout=follower, stderr=follower, env=ENV, cwd=ROOT,
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        process.wait(30)
        os.close(leader)
    assert process.returncode == 0
    return b"".join(chunks).decode()


# --- mark-read and expire ------------------------------------------------------------------


def test_mark_read_by_feed_tag_or_all(site: FeedServer, db: Path) -> None:
    site.feed("/a", rss("A", [("a1", "A1"), ("a2", "A2")]))
    site.feed("/b", rss("B", [("b1", "B1")]))
    site.feed("/c", rss("C", [("c1", "C1"), ("c2", "C2"), ("c3", "C3")]))
    reader("add", site.url("/a"), "--tag", "x", db=db)
    reader("add", site.url("/b"), "--tag", "x", "--tag", "y", db=db)
    reader("add", site.url("/c"), db=db)

    def unread() -> list[str]:
        return sorted(h.title for h in Store.open(db).headlines() if not h.read)

    assert reader("mark-read", "--feed", site.url("/a"), db=db).stdout == (
        "marked 2 articles read\n"
    )
    assert unread() == ["B1", "C1", "C2", "C3"]
    assert reader("mark-read", "--tag", "y", db=db).stdout == "marked 1 article read\n"
    assert unread() == ["C1", "C2", "C3"]
    assert reader("mark-read", "--tag", "x", db=db).stdout == "marked 0 articles read\n"
    assert reader("mark-read", "--all", db=db).stdout == "marked 3 articles read\n"
    assert unread() == []
    assert one_error(reader("mark-read", "--tag", "nope", db=db)) == (
        "reader: error: --tag nope: no feed has this tag"
    )
    assert one_error(reader("mark-read", "--feed", site.url("/z"), db=db)).endswith(
        ": no such feed (reader feeds lists them)"
    )
    neither = reader("mark-read", db=db)
    assert neither.returncode == 2 and "one of the arguments" in neither.stderr
    both = reader("mark-read", "--all", "--tag", "x", db=db)
    assert both.returncode == 2 and "not allowed with" in both.stderr


def dated(guid: str, title: str, published: int | None) -> str:
    date = "" if published is None else (
        f"<pubDate>{email.utils.formatdate(published, usegmt=True)}</pubDate>"
    )
    return f"<item><guid>{guid}</guid><title>{title}</title>{date}</item>"


def test_expire_deletes_only_old_read_unstarred_articles_for_good(
    site: FeedServer, db: Path
) -> None:
    now = int(time.time())
    items = [
        dated("1", "old read", now - 40 * DAY),
        dated("2", "old unread", now - 40 * DAY),
        dated("3", "old read starred", now - 40 * DAY),
        dated("4", "new read", now - 1 * DAY),
        dated("5", "undated read", None),
    ]
    body = f'<rss version="2.0"><channel><title>T</title>{"".join(items)}</channel></rss>'
    site.feed("/f", body.encode())
    reader("add", site.url("/f"), db=db)
    store = Store.open(db)
    by_title = {h.title: h.id for h in store.headlines()}
    store.mark_read([by_title[t] for t in ("old read", "old read starred", "new read",
                                            "undated read")])
    store.set_starred(by_title["old read starred"])
    result = reader("expire", db=db)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "expired 1 article (read, not starred, older than 30 days)\n"
    titles = sorted(h.title for h in Store.open(db).headlines())
    assert titles == ["new read", "old read starred", "old unread", "undated read"]
    again = reader("refresh", db=db)  # no validators: the whole feed, "old read" in it
    assert again.stdout == f"{site.url('/f')}: added 0, updated 0, unchanged 5\n"
    assert sorted(h.title for h in Store.open(db).headlines()) == titles
    shorter = reader("expire", "--days", "0", db=db)
    assert shorter.stdout == "expired 1 article (read, not starred, older than 0 days)\n"
    bad = reader("expire", "--days", "-1", db=db)
    assert bad.returncode == 2 and "'-1' is not a whole number of 0 or more" in bad.stderr


# --- edit ----------------------------------------------------------------------------------


def test_edit_switches_whole_articles_tags_and_days_and_expire_honours_them(
    site: FeedServer, db: Path
) -> None:
    url = site.url("/f")
    reader("add", url, "--no-fetch", "--tag", "news", db=db)
    shown = reader("edit", url, db=db)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == (f"{url}: whole articles off; #news; read articles kept 30 days "
                            "(the default)\n")
    changed = reader("edit", url, "--full-text", "on", "--tag", "world", "--untag", "news",
                     "--keep-days", "60", db=db)
    assert changed.stdout == f"{url}: whole articles on; #world; read articles kept 60 days\n"
    feed = Store.open(db).feed(url)
    assert feed is not None
    assert (feed["full_text"], feed["tags"], feed["keep_days"]) == (True, ["world"], 60)

    now = int(time.time())
    body = (f'<rss version="2.0"><channel><title>T</title>{dated("1", "old read", now - 40 * DAY)}'
            "</channel></rss>")
    site.feed("/f", body.encode())
    reader("edit", url, "--full-text", "off", db=db)  # the item's page is not ours to fetch
    reader("refresh", db=db)
    store = Store.open(db)
    store.mark_read([h.id for h in store.headlines()])
    kept = reader("expire", db=db)
    assert kept.stdout == ("expired 0 articles (read, not starred, older than 30 days; 1 feed "
                           "keeps its own)\n")
    assert [h.title for h in Store.open(db).headlines()] == ["old read"], "kept 60 days"
    back = reader("edit", url, "--keep-days", "default", db=db)
    assert back.stdout.endswith("read articles kept 30 days (the default)\n")
    reader("expire", db=db)
    assert Store.open(db).headlines() == []


def test_edit_refuses_what_it_cannot_do_in_one_line_and_changes_nothing(
    site: FeedServer, db: Path
) -> None:
    url = site.url("/f")
    reader("add", url, "--no-fetch", db=db)
    before = Store.open(db).feed(url)
    assert one_error(reader("edit", site.url("/other"), "--full-text", "on", db=db)) == (
        f"reader: error: {site.url('/other')}: no such feed (reader feeds lists them)")
    assert one_error(reader("edit", url, "--untag", "nope", db=db)) == (
        f"reader: error: --untag nope: {url} has no such tag; nothing changed")
    assert one_error(reader("edit", url, "--tag", "\x1b[2J", db=db)) == (
        "reader: error: --tag: a tag must have a visible name")
    bad = reader("edit", url, "--keep-days", "0", db=db)
    assert bad.returncode == 2 and "from 1 to 36500, or 'default'" in bad.stderr
    assert reader("edit", url, "--full-text", "maybe", db=db).returncode == 2
    assert Store.open(db).feed(url) == before
