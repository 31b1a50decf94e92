"""The importer: seed and feed merge into one set of articles, failures are one line each, and
broken feeds import what can be imported or are refused, in bounded time."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reader.article import Content, Headline
from reader.errors import SourceError
from reader.importer import Report, import_sources, parse, read
from reader.store import Store
from tests.conftest import FEED, SEED
from tests.test_hostile import assert_clean

BROKEN = Path(__file__).parent.parent / "fixtures" / "broken"


def counts(reports: list[Report]) -> list[str]:
    return [str(r.counts) if r.counts else f"error: {r.error}" for r in reports]


def articles(path: Path) -> list[tuple[Headline, Content]]:
    store = Store.open(path)
    return [(head, store.content(head.id)) for head in store.headlines()]


# --- seed and feed are one set of articles --------------------------------------------------


@pytest.mark.parametrize("order", ["seed-then-feed", "feed-then-seed", "both-at-once"])
def test_seed_and_feed_merge_into_20_enriched_articles(tmp_path: Path, order: str) -> None:
    path = tmp_path / "store"
    store = Store.open(path)
    if order == "seed-then-feed":
        reports = import_sources(store, [str(SEED)]) + import_sources(store, [str(FEED)])
        assert counts(reports) == [
            "added 20, updated 0, unchanged 0", "added 0, updated 20, unchanged 0"
        ]
    elif order == "feed-then-seed":
        reports = import_sources(store, [str(FEED)]) + import_sources(store, [str(SEED)])
        assert counts(reports) == [
            "added 20, updated 0, unchanged 0", "added 0, updated 0, unchanged 20"
        ]
    else:
        reports = import_sources(store, [str(SEED), str(FEED)])
        assert counts(reports)[0] == "added 20, updated 0, unchanged 0"
    stored = articles(path)
    assert len(stored) == 20
    for head, content in stored:
        assert head.link.startswith("https://www.theguardian.com/")
        assert head.published and head.author
        assert head.feed == "World news | The Guardian"
        assert content.standfirst and len(content.body) >= 2
    heads = [h for h, _ in stored]
    assert heads[0].title.startswith("Kim Jong-un invites Putin")
    dates = [h.published or 0 for h in heads]
    assert 0 not in dates and dates == sorted(dates, reverse=True)
    again = import_sources(Store.open(path), [str(FEED), str(SEED)])
    assert counts(again) == ["added 0, updated 0, unchanged 20"] * 2
    assert len(Store.open(path)) == 20


def test_failing_sources_are_one_line_each_and_the_others_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"caf\xe9\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    sources = [str(tmp_path / "missing.xml"), str(SEED), str(bad), str(folder),
               "file:///etc/passwd", "gopher://example.com/feed", str(FEED)]
    reports = import_sources(Store.open(tmp_path / "store"), sources)
    assert [r.source for r in reports] == sources
    errors = [r.error for r in reports if r.error]
    assert counts(reports)[1] == "added 20, updated 0, unchanged 0"
    assert counts(reports)[6] == "added 0, updated 20, unchanged 0"
    assert errors == [
        f"{tmp_path / 'missing.xml'}: cannot read (No such file or directory)",
        f"{bad}: not UTF-8 text (byte 0xe9 at offset 3)",
        f"{folder}: is a directory, not a file",
        "file:///etc/passwd: not a file, and only http and https URLs are fetched",
        "gopher://example.com/feed: not a file, and only http and https URLs are fetched",
    ]
    assert len(Store.open(tmp_path / "store")) == 20


def test_a_parser_bug_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reader.importer

    def buggy(data: bytes, name: str, feed: str = "") -> list[object]:
        raise ZeroDivisionError("oops \x1b]0;PWNED\x07\nsecond line")

    monkeypatch.setattr(reader.importer, "parse_seed", buggy)
    (report,) = import_sources(Store.open(tmp_path / "store"), [str(SEED)])
    assert report.error == f"{SEED}: cannot import (ZeroDivisionError: oops second line)"


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reader", *args], capture_output=True, text=True,
        timeout=timeout, env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def test_cli_import_counts_per_source_one_line_per_failure(tmp_path: Path) -> None:
    db = tmp_path / "db"
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<html><body>not a feed</body></html>")
    result = cli("--db", str(db), "import", str(SEED), str(bad), str(FEED), str(tmp_path / "no"))
    assert result.returncode != 0
    assert result.stdout.splitlines() == [
        f"{SEED}: added 20, updated 0, unchanged 0",
        f"{FEED}: added 0, updated 20, unchanged 0",
    ]
    assert result.stderr.splitlines() == [
        f"reader: error: {bad}: not an RSS or Atom feed",
        f"reader: error: {tmp_path / 'no'}: cannot read (No such file or directory)",
    ]
    again = cli("--db", str(db), "import", str(FEED), str(SEED))
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        f"{FEED}: added 0, updated 0, unchanged 20",
        f"{SEED}: added 0, updated 0, unchanged 20",
    ]


# --- broken feeds ---------------------------------------------------------------------------

REFUSED = {
    "empty.xml": "empty file, no articles",
    "blank.xml": "empty file, no articles",
    "binary.bin": "not UTF-8 text (byte 0x89 at offset 0)",
    "binary-lt.bin": "not an RSS or Atom feed (<unknown>:",
    "garbage-lt.xml": "not an RSS or Atom feed (<unknown>:",
    "page.html": "not an RSS or Atom feed (<unknown>:",
}
IMPORTED = {  # file: titles imported, in order
    "truncated.xml": 5,
    "cp1251.xml": ["Привет, мир: новости дня"],
    "cp1251-declared-utf8.xml": 1,
    "latin1-declared-utf8.xml": ["Café crème à la française"],
    "utf16.xml": ["Café crème à la française"],
    "billion-laughs.xml": ["Laughing &lol9; out loud"],
    "duplicate-guids.xml": ["First telling", "Unique", "Same keyless title"],
    "missing-fields.xml": [
        "Only a description, no title, link or date.", "Only a title", "(untitled)"
    ],
    "bad-dates.xml": 6,
}
SKIPPED = {"missing-fields.xml": 2}  # an empty <item/>, and one with only a guid


def secret_file(tmp_path: Path) -> tuple[Path, str]:
    secret = "SECRET-d41d8cd98f00"
    path = tmp_path / "secret.txt"
    path.write_text(secret)
    return path, secret


def broken(name: str, tmp_path: Path) -> bytes:
    data = (BROKEN / name).read_bytes()
    return data.replace(b"SECRET_FILE", str(tmp_path / "secret.txt").encode())


def test_every_broken_fixture_is_covered() -> None:
    names = {p.name for p in BROKEN.iterdir()}
    assert names == set(REFUSED) | set(IMPORTED) | {"external-entity.xml", "external-dtd.xml"}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_broken_file_is_refused_with_one_line(name: str, tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(SourceError) as caught:
        parse((BROKEN / name).read_bytes(), name)
    assert time.monotonic() - start < 5
    message = str(caught.value)
    assert message.startswith(f"{name}: {REFUSED[name]}")
    assert message.isprintable() and len(message) < 300


@pytest.mark.parametrize("name", sorted(IMPORTED))
def test_broken_feed_imports_what_it_can(name: str, tmp_path: Path) -> None:
    start = time.monotonic()
    parsed = parse((BROKEN / name).read_bytes(), name)
    items = parsed.items
    assert time.monotonic() - start < 5
    assert parsed.authoritative
    assert parsed.skipped == SKIPPED.get(name, 0)
    expected = IMPORTED[name]
    if isinstance(expected, int):
        assert len(items) == expected
    else:
        assert [i.title for i in items] == expected
    for item in items:
        assert item.title
        assert_clean(item)
    path = tmp_path / "store"
    first = import_sources(Store.open(path), [str(BROKEN / name)])
    assert first[0].counts is not None and first[0].counts.added == len(items)
    assert first[0].skipped == parsed.skipped
    again = import_sources(Store.open(path), [str(BROKEN / name)])
    assert str(again[0].counts) == f"added 0, updated 0, unchanged {len(items)}"


def test_truncated_feed_keeps_the_whole_items() -> None:
    items = parse((BROKEN / "truncated.xml").read_bytes(), "t").items
    assert all(i.link and i.standfirst and i.published for i in items[:4])
    assert items[4].title.startswith("Russia-Ukraine war: G7 condemns")


def test_lying_encoding_declarations_give_text_not_controls() -> None:
    (cyr,) = parse((BROKEN / "cp1251-declared-utf8.xml").read_bytes(), "c").items
    # windows-1251 bytes declared as UTF-8: with no detector installed (we depend on none),
    # feedparser falls back to windows-1252 and the Cyrillic comes out as Latin-1 letters:
    # wrong, but plain text. Where chardet happens to be installed, feedparser gets it right.
    try:
        import chardet  # type: ignore[import-not-found]  # noqa: F401

        expected = "Привет, мир: новости дня"
    except ImportError:
        expected = "Ïðèâåò, ìèð: íîâîñòè äíÿ"
    assert cyr.title == expected
    assert cyr.link == "https://broken.example/cyr" and cyr.published == 1704103200
    (lat,) = parse((BROKEN / "latin1-declared-utf8.xml").read_bytes(), "l").items
    assert lat.feed == "Français" and lat.standfirst == "Déjà vu, naïve façade."


def test_entity_expansion_is_not_performed() -> None:
    (item,) = parse((BROKEN / "billion-laughs.xml").read_bytes(), "lol").items
    assert "lollol" not in item.title + item.standfirst + item.feed
    big = "A" * 100_000
    quadratic = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "{big}">]><rss version="2.0"><channel>'
        f"<title>Q</title><item><title>q &a;&a;</title><guid>q</guid><description>{'&a;' * 50_000}"
        "</description></item></channel></rss>"
    ).encode()
    start = time.monotonic()
    (item,) = parse(quadratic, "quadratic").items
    assert time.monotonic() - start < 5
    assert big not in item.title and big not in item.standfirst


@pytest.mark.parametrize("name", ["external-entity.xml", "external-dtd.xml"])
def test_external_entities_never_read_a_local_file(name: str, tmp_path: Path) -> None:
    path, secret = secret_file(tmp_path)
    feed = tmp_path / name
    feed.write_bytes(broken(name, tmp_path))
    assert str(path).encode() in feed.read_bytes()
    items = parse(feed.read_bytes(), name).items
    assert len(items) == 1
    assert secret not in repr(items)
    store = tmp_path / "store"
    (report,) = import_sources(Store.open(store), [str(feed)])
    assert report.error is None
    for stored in store.rglob("*"):
        if stored.is_file():
            assert secret.encode() not in stored.read_bytes(), stored


def test_a_2099_date_does_not_sort_above_real_news(tmp_path: Path) -> None:
    path = tmp_path / "store"
    import_sources(Store.open(path), [str(FEED), str(BROKEN / "bad-dates.xml")])
    heads = Store.open(path).headlines()
    by_title = {h.title: h for h in heads}
    assert by_title["From the far future"].published is None
    assert by_title["Year nine thousand"].published is None
    assert by_title["Future published, real updated"].published == 1704189600
    now = time.time()
    assert all(h.published is None or h.published <= now + 2 * 86400 for h in heads)
    dated = [h.title for h in heads if h.published is not None]
    assert dated[:2] == ["Future published, real updated", "A real date"]
    newest_real = next(h for h in heads if h.title.startswith("Kim Jong-un invites Putin"))
    assert heads.index(by_title["From the far future"]) > heads.index(newest_real)
    time.sleep(1.1)  # a clamp to "now" would move on between imports
    (again,) = import_sources(Store.open(path), [str(BROKEN / "bad-dates.xml")])
    assert str(again.counts) == "added 0, updated 0, unchanged 6"


def test_all_broken_files_through_the_cli_in_bounded_time(tmp_path: Path) -> None:
    secret_file(tmp_path)
    sources = []
    for name in sorted(p.name for p in BROKEN.iterdir()):
        target = tmp_path / name
        target.write_bytes(broken(name, tmp_path))
        sources.append(str(target))
    start = time.monotonic()
    result = cli("--db", str(tmp_path / "db"), "import", *sources, timeout=90)
    assert time.monotonic() - start < 90
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = result.stderr.splitlines()
    assert len(errors) == len(REFUSED), result.stderr
    assert all(line.startswith("reader: error: ") and line.isprintable() for line in errors)
    done = result.stdout.splitlines()
    assert len(done) == len(sources) - len(REFUSED)
    assert all(" added " in line or ": added " in line for line in done)
    assert "SECRET-d41d8cd98f00" not in result.stdout + result.stderr


# --- odd sources: empty names, endless files, gzip, one source at a time -----------------------


def test_an_empty_name_says_so() -> None:
    (report,) = import_sources_nowhere([""])
    assert report.error == "'': an empty name, not a file or URL"


def import_sources_nowhere(sources: list[str]) -> list[Report]:
    """Import into a store that is never written (every source here fails before a merge)."""
    class NoStore:
        def feeds(self) -> list[dict[str, object]]:
            return []  # asked which feeds are new (their items are indexed as they are parsed)

        def merge(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("nothing should reach the store")

    return import_sources(NoStore(), sources)  # type: ignore[arg-type]


def test_a_file_past_the_cap_is_refused_in_one_line(tmp_path: Path) -> None:
    from reader.text import MAX_SOURCE

    huge = tmp_path / "huge.xml"
    with huge.open("wb") as file:
        file.write(b'<rss version="2.0"><channel><title>x</title>')
        file.truncate(MAX_SOURCE + 1)  # sparse: no disk used
    exact = tmp_path / "exact.txt"
    exact.write_bytes(b"Title\n\nText.\n" + b"x" * (MAX_SOURCE - 13))
    reports = import_sources_nowhere([str(huge)])
    assert [r.error for r in reports] == [f"{huge}: larger than 32 MiB"]
    assert read(str(exact)) is not None


def test_dev_zero_is_refused_not_read_until_memory_runs_out(tmp_path: Path) -> None:
    """Under a 2 GiB address-space limit: reading /dev/zero to the end would fail with a
    MemoryError (the kernel killed it at 22 GB without one)."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    result = subprocess.run(
        [sys.executable, "-m", "reader", "--db", str(tmp_path / "db"), "import", "/dev/zero",
         str(SEED)],
        capture_output=True, text=True, timeout=120, preexec_fn=limit,
    )
    assert result.returncode == 1
    assert result.stderr == "reader: error: /dev/zero: larger than 32 MiB\n"
    assert result.stdout == f"{SEED}: added 20, updated 0, unchanged 0\n"


def test_a_gzip_file_says_what_it_is(tmp_path: Path) -> None:
    import gzip

    packed = tmp_path / "feed.xml.gz"
    packed.write_bytes(gzip.compress(FEED.read_bytes()))
    (report,) = import_sources_nowhere([str(packed)])
    assert report.error == f"{packed}: gzip-compressed data, not a feed or text (decompress it)"


def test_sources_stream_through_rather_than_all_being_read_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reader.importer

    events: list[str] = []
    real_read = reader.importer.read

    def spy(source: str) -> object:
        events.append(f"read {Path(source).name}")
        return real_read(source)

    monkeypatch.setattr(reader.importer, "read", spy)
    sources = []
    for n in range(6):
        path = tmp_path / f"s{n}.txt"
        path.write_text(f"Title {n}\n\nText {n}.\n")
        sources.append(str(path))
    import_sources(
        Store.open(tmp_path / "store"), sources,
        progress=lambda report: events.append(f"merged {Path(report.source).name}"),
    )
    assert sorted(events) == sorted([f"read s{n}.txt" for n in range(6)]
                                    + [f"merged s{n}.txt" for n in range(6)])
    first_merge = events.index("merged s0.txt")
    read_before = sum(1 for e in events[:first_merge] if e.startswith("read"))
    assert read_before <= (os.cpu_count() or 1) + 1, events  # not every source read up front
    assert [e for e in events if e.startswith("merged")] == [f"merged s{n}.txt" for n in range(6)]


# --- what the import line says, and what the store is told ------------------------------------


def test_entries_with_nothing_in_them_are_counted_in_the_import_line(tmp_path: Path) -> None:
    source = BROKEN / "missing-fields.xml"
    result = cli("--db", str(tmp_path / "db"), "import", str(source))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{source}: added 3, updated 0, unchanged 0, skipped 2\n"
    again = cli("--db", str(tmp_path / "db"), "import", str(FEED))
    assert again.stdout == f"{FEED}: added 20, updated 0, unchanged 0\n"  # no "skipped 0"


def test_the_store_is_told_each_source_by_url_or_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    told: list[str] = []
    real = Store.merge

    def spy(self: Store, items: object, *, authoritative: bool, source: str) -> object:
        told.append(source)
        return real(self, items, authoritative=authoritative, source=source)  # type: ignore

    monkeypatch.setattr(Store, "merge", spy)
    monkeypatch.chdir(FEED.parent)
    with serving({"/feed": FEED.read_bytes()}) as url:
        import_sources(Store.open(tmp_path / "store"), ["seed.txt", "./feed.xml", url + "/feed"])
    assert told == [str(SEED.resolve()), str(FEED.resolve()), url + "/feed"]


# --- feeds over HTTP ---------------------------------------------------------------------------


@contextlib.contextmanager
def serving(routes: dict[str, bytes]) -> Iterator[str]:
    """A server on 127.0.0.1 answering each path with its bytes; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = routes.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_relative_links_of_a_fetched_feed_are_resolved(tmp_path: Path) -> None:
    import gzip

    feed = (
        b'<rss version="2.0"><channel>'
        b"<item><title>Hello</title><link>/posts/hello-world</link><guid>h</guid></item>"
        b"<item><title>Next</title><link>next</link><guid>n</guid></item>"
        b"<item><title>Bad</title><link>javascript:alert(1)</link><guid>b</guid></item>"
        b"</channel></rss>"
    )
    with serving({"/blog/rss": feed, "/blog/rss.gz": gzip.compress(feed)}) as url:
        reports = import_sources(Store.open(tmp_path / "store"), [url + "/blog/rss"])
        assert reports[0].error is None
        zipped = import_sources(Store.open(tmp_path / "zipped"), [url + "/blog/rss.gz"])
        assert zipped[0].error is None and str(zipped[0].counts).startswith("added 3")
    heads = {h.title: h for h in Store.open(tmp_path / "store").headlines()}
    assert heads["Hello"].link == url + "/posts/hello-world"
    assert heads["Next"].link == url + "/blog/next"
    assert heads["Bad"].link == ""
    assert {h.feed for h in heads.values()} == {"127.0.0.1"}  # no title: the site's host


def test_a_feed_file_without_a_title_is_named_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "status-page.xml"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'<rss version="2.0"><channel><item><title>Up</title></item></channel></rss>')
    import_sources(Store.open(tmp_path / "store"), [str(path)])
    (head,) = Store.open(tmp_path / "store").headlines()
    assert head.feed == "status-page"


# --- worker processes never outlive the import -------------------------------------------------


def big_feed(path: Path, items: int = 30_000) -> Path:
    """About 25 MB of RSS: several seconds of parsing on each core."""
    para = "<p>" + "Words of a news paragraph, long enough to look like one. " * 6 + "</p>"
    path.write_text(
        '<rss version="2.0"><channel><title>Big</title>' + "".join(
            f"<item><title>Story {i}</title><guid>g{i}</guid>"
            f"<link>https://news.example/{i}</link>"
            f"<description><![CDATA[{para}{para}]]></description></item>\n"
            for i in range(items)
        ) + "</channel></rss>"
    )
    return path


def children(pid: int) -> set[int]:
    """The live child processes of ``pid``, from /proc."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit() and entry != str(pid):
            fields = proc_stat(int(entry))
            if fields and int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry))
    return found


def proc_stat(pid: int) -> list[str]:
    """State, ppid, ... of a process (the fields after its name), or [] if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return stat[stat.rindex(")") + 2 :].split()


def alive(pid: int) -> bool:
    fields = proc_stat(pid)
    return bool(fields) and fields[0] not in ("Z", "X")


def start_big_import(tmp_path: Path) -> tuple[subprocess.Popen[str], set[int]]:
    """A CLI import of a big feed, in its own session, once its parse workers are running."""
    feed = big_feed(tmp_path / "big.xml")
    proc = subprocess.Popen(
        [sys.executable, "-m", "reader", "--db", str(tmp_path / "db"), "import", str(feed)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        workers = children(proc.pid)
    assert len(workers) >= 2, "the import never started its parse workers"
    time.sleep(0.5)  # well into parsing
    return proc, workers


def wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = {pid for pid in pids if alive(pid)}
        if not left:
            return left
        time.sleep(0.05)
    return {pid for pid in pids if alive(pid)}


def test_a_killed_import_leaves_no_workers(tmp_path: Path) -> None:
    proc, workers = start_big_import(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert wait_gone(workers, 3) == set(), "parse workers outlived the killed import"


@pytest.mark.parametrize("to", ["parent", "group"])
def test_ctrl_c_stops_an_import_promptly_with_nothing_written(tmp_path: Path, to: str) -> None:
    """``group`` is a terminal's Ctrl+C; ``parent`` is ``kill -INT`` of the importer alone."""
    proc, workers = start_big_import(tmp_path)
    if to == "group":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        os.kill(proc.pid, signal.SIGINT)
    try:
        code = proc.wait(3)
    finally:
        proc.kill()
    out, err = proc.communicate()
    assert code == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert out == ""
    assert wait_gone(workers, 3) == set()
    assert len(Store.open(tmp_path / "db")) == 0


def _rss(title: str, items: str) -> str:
    return f'<rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'


def test_a_status_feeds_updates_sharing_one_link_are_all_kept(tmp_path: Path) -> None:
    feed = tmp_path / "status.xml"
    feed.write_text(_rss("Status", "".join(
        f"<item><title>{t}</title><link>https://status.example/incident/1</link></item>"
        for t in ("Outage began", "Outage update", "Outage resolved")
    )))
    store = Store.open(tmp_path / "db")
    (first,) = import_sources(store, [str(feed)])
    (again,) = import_sources(store, [str(feed)])
    assert (str(first.counts), str(again.counts)) == (
        "added 3, updated 0, unchanged 0", "added 0, updated 0, unchanged 3"
    )


def test_two_feed_files_sharing_guids_import_a_b_a_without_flipping(tmp_path: Path) -> None:
    a, b = tmp_path / "a.xml", tmp_path / "b.xml"
    a.write_text(_rss("Feed A", "<item><title>A one</title><guid>1</guid></item>"))
    b.write_text(_rss("Feed B", "<item><title>B one</title><guid>1</guid></item>"))
    store = Store.open(tmp_path / "db")
    reports = import_sources(store, [str(a), str(b), str(a)])
    assert [str(r.counts) for r in reports] == [
        "added 1, updated 0, unchanged 0", "added 1, updated 0, unchanged 0",
        "added 0, updated 0, unchanged 1",
    ]
    assert sorted((h.feed, h.title) for h in Store.open(tmp_path / "db").headlines()) == [
        ("Feed A", "A one"), ("Feed B", "B one"),
    ]


def test_an_item_crosses_to_the_import_process_with_every_field() -> None:
    """Workers pickle Items by their constructor's arguments: every field must be among them."""
    import dataclasses
    import pickle

    from reader.article import Item

    values: dict[str, object] = {
        field.name: [f"{field.name} value"] if field.name in ("body", "full_text", "links")
        else 7 if field.name == "published" else f"{field.name} value"
        for field in dataclasses.fields(Item)
    }
    item = Item(**values)  # type: ignore[arg-type]
    assert dataclasses.asdict(pickle.loads(pickle.dumps(item))) == values
