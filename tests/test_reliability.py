"""What happens when things go wrong: kills, a full disk, damaged files, two processes at once.

Each test checks the bytes on disk and the behaviour a user sees (one line, an exit status),
not just that no exception escaped.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest

from reader import store as store_module
from reader.article import Content, Headline
from reader.errors import StoreDamaged, StoreError
from reader.importer import import_sources
from reader.repair import repair, reset, salvage
from reader.store import Counts, Store
from tests import crash_harness
from tests.conftest import FEED, SEED
from tests.test_store import AS_FEED, feed_item, files

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def reader(*args: str, db: Path, limit: int | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m reader --db DB ARGS``; ``limit`` caps the size of any file it writes."""

    def cap() -> None:
        if limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() fails with EFBIG instead
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "reader", "--db", str(db), *args], capture_output=True,
        text=True, timeout=120, env=ENV, cwd=ROOT, preexec_fn=cap,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The run failed with exactly one line on stderr, in the CLI's format, and no traceback."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("reader: error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def snapshot(store: Store) -> list[tuple[Headline, Content]]:
    return sorted(((h, c) for h, c in store.contents()), key=lambda pair: pair[0].id)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 20 fixture articles, enriched by the feed, with a few flags set."""
    db = tmp_path_factory.mktemp("template") / "db"
    store = Store.open(db)
    reports = import_sources(store, [str(SEED), str(FEED)])
    assert all(report.counts for report in reports)
    heads = store.headlines()
    for head in heads[:12]:
        store.set_read(head.id)
    for head in heads[::3]:
        store.set_starred(head.id)
    return db


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "db"
    shutil.copytree(template, copy)
    return copy


# --- 1. kills at random moments ------------------------------------------------------------------


def test_crash_harness_finds_nothing_missing_after_random_kills(tmp_path: Path) -> None:
    result = crash_harness.run(kills=15, articles=600, seed=7, workdir=tmp_path)
    assert result.problems == []
    assert result.kills >= 15 and result.failures == 0
    assert result.checks == result.rounds + 1  # the filled store, then every round
    assert result.reports_saved > 20 and result.flags_saved > 0


# --- 2. a full disk ------------------------------------------------------------------------------


def test_disk_full_during_an_import_changes_nothing(db: Path, tmp_path: Path) -> None:
    feed = tmp_path / "big.xml"
    feed.write_text(crash_harness.feed_xml(range(100_000, 100_150), "first"), encoding="utf-8")
    before = files(db)
    listed = reader("list", "--json", db=db).stdout
    assert len((db / "00000.00.text.json").read_bytes()) < 40_000

    result = reader("import", str(feed), db=db, limit=64_000)

    line = one_error_line(result)
    assert "00000.00.text.json: cannot write (file too large)" in line
    assert "the stored copy is unchanged" in line
    assert files(db) == before  # every byte, and no temporary file left
    assert reader("list", "--json", db=db).stdout == listed
    retry = reader("import", str(feed), db=db)  # room again: the same import goes through
    assert retry.returncode == 0 and "added 150" in retry.stdout


def test_disk_full_midway_through_a_merge_writes_none_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A merge touching several segments is staged in full before the first rename."""
    monkeypatch.setattr(store_module, "SEGMENT_SIZE", 10)
    store = Store.open(tmp_path / "db")
    store.merge([feed_item(i) for i in range(15)], **AS_FEED)
    before, memory = files(store.path), snapshot(store)
    calls = 0
    real_fsync = os.fsync

    def fsync_until_full(fd: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 4:  # three files staged, the fourth finds the disk full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_until_full)
    batch = [feed_item(i, "second") for i in (1, 12)] + [feed_item(i) for i in range(15, 40)]
    with pytest.raises(StoreError) as raised:
        store.merge(batch, **AS_FEED)
    monkeypatch.setattr(os, "fsync", real_fsync)

    assert "\n" not in str(raised.value) and "disk full" in str(raised.value)
    assert calls == 4
    assert files(store.path) == before
    assert snapshot(store) == memory  # the store in memory is the one on disk
    assert snapshot(Store.open(store.path)) == memory
    assert store.merge(batch, **AS_FEED) == Counts(added=25, updated=2)


# --- 3. damaged files ----------------------------------------------------------------------------


def _truncate(data: bytes) -> bytes:
    return data[: len(data) * 3 // 5]


def _garbage(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + os.urandom(64) + data[middle + 64 :]


def _format(version: object) -> Callable[[bytes], bytes]:
    return lambda _: orjson.dumps({"meta": {"1": {"format": version, "app": "reader-tui"}}})


DAMAGE: dict[str, tuple[str, Callable[[bytes], bytes], str]] = {
    "heads truncated": ("00000.heads.json", _truncate, "not valid JSON"),
    "heads empty": ("00000.heads.json", lambda _: b"", "empty"),
    "heads garbage": ("00000.heads.json", _garbage, "damaged store file"),
    "heads wrong field": (
        "00000.heads.json", lambda _: b'{"heads":{"1":{"id":7}}}', "a headline lacks"
    ),
    "heads a list": ("00000.heads.json", lambda _: b"[1,2,3]", "wrong shape"),
    "heads without its table": ("00000.heads.json", lambda _: b"{}", "no heads table"),
    "flags truncated": ("00000.flags.json", _truncate, "not valid JSON"),
    "flags without its table": (
        "00000.flags.json", lambda _: b'{"other":{}}', "no flags table"
    ),
    "flags flag a string": (
        "00000.flags.json", lambda _: b'{"flags":{"1":{"read":"yes"}}}', "'read' of wrong type"
    ),
    "flags key a word": ("00000.flags.json", lambda _: b'{"flags":{"one":{}}}', "wrong shape"),
    "feeds truncated": ("feeds.json", _truncate, "not valid JSON"),
    "feeds without a url": (
        "feeds.json", lambda _: b'{"feeds":{"1":{"id":"f1"}}}', "a feed lacks 'url'"
    ),
    "meta truncated": ("meta.json", _truncate, "not valid JSON"),
    "meta wrong shape": ("meta.json", _format("one"), "no format version"),
    "meta unknown older format": ("meta.json", _format(0), "unknown store format 0"),
    "meta newer format": ("meta.json", _format(99), "written by a newer version"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_a_damaged_file_stops_open_names_the_file_and_is_never_modified(
    db: Path, case: str
) -> None:
    name, damage, words = DAMAGE[case]
    path = db / name
    path.write_bytes(damage(path.read_bytes()))
    before = files(db)

    with pytest.raises(StoreDamaged) as raised:
        Store.open(db)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and words in message and "\n" not in message

    result = reader("list", db=db)
    line = one_error_line(result)
    assert line == f"reader: error: {message}"
    assert result.stdout == ""
    assert files(db) == before


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("00000.00.text.json", "missing, but 00000.heads.json lists its articles"),
        ("00000.heads.json", "missing, but meta.json says the store has 1 segments"),
        ("00000.flags.json", "missing, but the store has that segment"),
        ("feeds.json", "no feed"),
    ],
)
def test_a_missing_file_is_damage_never_an_empty_store(db: Path, name: str, words: str) -> None:
    """A deleted file must never read as "no articles": the store stops, names it, and
    neither the CLI nor the app's first run writes anything."""
    (db / name).unlink()
    before = files(db)
    with pytest.raises(StoreDamaged, match=words) as raised:
        Store.open(db)
    assert "run `reader repair`" in str(raised.value)
    one_error_line(reader("list", db=db))
    one_error_line(reader("import", str(SEED), db=db))
    assert files(db) == before
    report = str(repair(db))
    assert report.endswith("repaired; the store now holds 20 articles"), report
    assert len(Store.open(db)) == 20


def _wrong_type(data: bytes) -> bytes:
    tables = orjson.loads(data)
    records = tables["text"]
    records[sorted(records, key=int)[len(records) // 2]]["standfirst"] = 17
    return orjson.dumps(tables)


@pytest.mark.parametrize(
    "damage", [_garbage, _wrong_type, _truncate, lambda _: b'{"other":{}}', lambda _: b"[]"]
)
def test_damage_inside_a_text_file_is_found_when_it_is_read(
    db: Path, damage: Callable[[bytes], bytes]
) -> None:
    """Open checks that each text file is there, not what it holds: that is read on demand."""
    path = db / "00000.00.text.json"
    records = orjson.loads(path.read_bytes())["text"]
    hit = records[sorted(records, key=int)[len(records) // 2]]["id"]  # the one _wrong_type hits
    path.write_bytes(damage(path.read_bytes()))
    before = files(db)
    store = Store.open(db)
    with pytest.raises(StoreDamaged, match=r"00000\.00\.text\.json: damaged store file"):
        list(store.contents())
    assert "00000.00.text.json: damaged" in one_error_line(reader("show", hit, db=db))
    assert files(db) == before


# --- 4. repair and reset -------------------------------------------------------------------------


def _aside(db: Path, name: str) -> Path:
    (aside,) = db.glob(f"{name}.damaged-*")
    return aside


def test_repair_salvages_the_intact_records_of_a_truncated_text_file(db: Path) -> None:
    original = Store.open(db)
    heads, texts = {h.id: h for h in original.headlines()}, dict(
        (h.id, c) for h, c in original.contents()
    )
    path = db / "00000.00.text.json"
    path.write_bytes(_truncate(path.read_bytes()))
    damaged = path.read_bytes()

    report = repair(db)

    lines = str(report).splitlines()
    assert lines[0].startswith("00000.00.text.json: damaged (not valid JSON")
    assert "set aside as 00000.00.text.json.damaged-" in lines[0]
    assert _aside(db, "00000.00.text.json").read_bytes() == damaged
    store = Store.open(db)
    assert {h.id: (h.title, h.read, h.starred) for h in store.headlines()} == {
        h.id: (h.title, h.read, h.starred) for h in heads.values()
    }
    kept = [i for i, content in store.contents() if content == texts[i.id]]
    lost = [i for i, content in store.contents() if content == Content()]
    assert len(kept) + len(lost) == 20 and 5 <= len(kept) < 20
    assert f"kept {len(kept)} articles, rebuilt {len(lost)} from the headlines" in lines[0]
    assert lines[-1] == f"{db}: repaired; the store now holds 20 articles"
    assert str(repair(db)) == f"{db}: the store is sound (20 articles); nothing to repair"


def test_repair_reads_on_past_garbage_in_the_middle_of_a_file(db: Path) -> None:
    path = db / "00000.00.text.json"
    texts = {h.id: c for h, c in Store.open(db).contents()}
    data = path.read_bytes()
    path.write_bytes(_garbage(data))

    repair(db)

    store = Store.open(db)
    kept = sum(content == texts[head.id] for head, content in store.contents())
    assert 17 <= kept <= 19  # only the records the garbage hit are lost
    tail = orjson.loads(data)["text"]
    last = max(tail, key=int)
    assert salvage(path.read_bytes())[int(last)] == tail[last]


def test_repair_rebuilds_damaged_headlines_from_the_text_files(db: Path) -> None:
    before = sorted(Store.open(db).headlines(), key=lambda h: h.id)
    path = db / "00000.heads.json"
    path.write_bytes(b'{"heads":{"1":{"id":"x"},"2"')

    report = str(repair(db))

    assert report.splitlines()[0].startswith(
        "00000.heads.json: damaged (not valid JSON"
    ) and "rebuilt 20 headlines from the text files" in report
    assert sorted(Store.open(db).headlines(), key=lambda h: h.id) == before  # flags included


def test_repair_rebuilds_lost_articles_from_the_headlines_without_text(db: Path) -> None:
    before = sorted(Store.open(db).headlines(), key=lambda h: h.id)
    (db / "00000.00.text.json").unlink()

    report = str(repair(db))

    assert report.startswith(
        "00000.00.text.json: missing; rebuilt 20 articles from the headlines without their text"
    )
    store = Store.open(db)
    assert sorted(store.headlines(), key=lambda h: h.id) == before
    assert all(content == Content() for _, content in store.contents())


def test_repair_keeps_the_flags_it_can_read(db: Path) -> None:
    store = Store.open(db)
    flags = {h.id: (h.read, h.starred) for h in store.headlines()}
    path = db / "00000.flags.json"
    data = path.read_bytes()
    cut = data.index(b"}", len(data) // 2) + 1  # after a whole record
    path.write_bytes(data[:cut])
    intact = len(salvage(data[:cut]))

    report = str(repair(db))

    assert "00000.flags.json: damaged (not valid JSON" in report
    assert f"kept the flags of {intact} articles" in report
    after = {h.id: (h.read, h.starred) for h in Store.open(db).headlines()}
    assert sum(after[i] == flags[i] and any(flags[i]) for i in flags) == intact
    assert all(after[i] == flags[i] or not any(after[i]) for i in flags)


def test_repair_moves_an_older_format_on_and_refuses_a_newer_one(db: Path) -> None:
    meta = db / "meta.json"
    meta.write_bytes(_format(99)(b""))
    before = files(db)
    with pytest.raises(StoreError, match="newer version"):
        repair(db)
    one_error_line(reader("repair", db=db))
    assert files(db) == before

    old = db.parent / "old"
    shutil.copytree(ROOT / "fixtures" / "stores" / "v1", old)
    report = str(repair(old))
    assert report.startswith(f"{old}: upgraded the store to format 2 (22 articles kept)")
    assert report.splitlines()[-1] == f"{old}: repaired; the store now holds 22 articles"
    assert len(Store.open(old)) == 22


def test_repair_command_prints_a_line_per_file(db: Path) -> None:
    for name in ("00000.heads.json", "00000.flags.json"):
        (db / name).write_bytes(_truncate((db / name).read_bytes()))
    (db / ".00000.heads.json.999.tmp").write_bytes(b"{")
    result = reader("repair", db=db)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "removed 1 temporary files left by interrupted writes",
        "00000.heads.json", "00000.flags.json", str(db),
    ]
    assert json.loads(reader("list", "--json", db=db).stdout)[0]["title"]


def test_repair_leaves_a_sound_store_alone(db: Path) -> None:
    before = files(db)
    assert str(repair(db)).endswith("the store is sound (20 articles); nothing to repair")
    assert files(db) == before


def test_reset_sets_the_whole_store_aside(db: Path) -> None:
    (db / "00000.heads.json").write_bytes(b"garbage")
    before = files(db)

    aside = reset(db)

    assert aside.parent == db.parent and aside.name.startswith("db.broken-")
    assert not db.exists() and files(aside) == before
    assert len(Store.open(db)) == 0  # a fresh store starts at the old path

    result = reader("reset", "--yes", db=db)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("the old store is now at ") and not db.exists()
    assert len(list(db.parent.glob("db.broken-*"))) == 2


# --- 5. two processes at once --------------------------------------------------------------------

_PREAMBLE = """
import sys, time
from pathlib import Path
from reader import store as store_module
from reader.store import Store
from tests.test_store import AS_FEED, feed_item
store_module.SEGMENT_SIZE = 7  # many segments: new ones are created while the other writes
go = Path(sys.argv[1]) / "go"
while not go.exists():
    time.sleep(0.001)
store = Store.open(Path(sys.argv[1]) / "db")
"""

_MERGER = """
base = int(sys.argv[2])
for n in range(40):
    items = [feed_item(base + 4 * n + k) for k in range(4)]
    print(store.merge(items, **AS_FEED), flush=True)
"""

_UPDATER = """
for n in range(30):
    print(store.merge([feed_item(i, f"v{n}") for i in range(n % 3, 30, 3)] +
                      [feed_item(1000 + n)], **AS_FEED), flush=True)
"""

_FLAGGER = """
flag = sys.argv[2]
# The 30 articles there before the updater started: it may add its own before this line runs.
ids = sorted(h.id for h in store.headlines() if int(h.title.split()[1]) < 30)
for n, article_id in enumerate(ids):
    getattr(store, "set_" + flag)(article_id, n % 2 == 0)
"""


def _together(
    workdir: Path, scripts: list[tuple[str, str]]
) -> Iterator[subprocess.CompletedProcess[str]]:
    """Start every script, then let them go at the same moment."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(_PREAMBLE + body), str(workdir), arg],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT,
        )
        for body, arg in scripts
    ]
    time.sleep(0.3)  # let every interpreter start up and wait at the gate
    (workdir / "go").touch()
    for process in processes:
        out, err = process.communicate(timeout=120)
        yield subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_two_processes_merging_at_once_lose_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "SEGMENT_SIZE", 7)
    Store.open(tmp_path / "db")
    results = list(_together(tmp_path, [(_MERGER, "0"), (_MERGER, "5000")]))

    for result in results:
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == ["added 4, updated 0, unchanged 0"] * 40
    store = Store.open(tmp_path / "db")
    expected = {f"Story {base + i}" for base in (0, 5000) for i in range(160)}
    assert sorted(h.title for h in store.headlines()) == sorted(expected)  # each once
    for head, content in store.contents():
        number = int(head.title.split()[1])
        assert (head.guid, content.standfirst) == (
            f"urn:story:{number}", f"Standfirst {number} (first)"
        )


def test_flags_set_while_another_process_imports_are_all_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "SEGMENT_SIZE", 7)
    Store.open(tmp_path / "db").merge([feed_item(i) for i in range(30)], **AS_FEED)
    results = list(
        _together(tmp_path, [(_FLAGGER, "read"), (_FLAGGER, "starred"), (_UPDATER, "")])
    )

    for result in results:
        assert result.returncode == 0, result.stderr
    store = Store.open(tmp_path / "db")
    assert len(store) == 60
    ids = sorted(h.id for h in store.headlines() if int(h.title.split()[1]) < 30)
    for n, article_id in enumerate(ids):
        head = store.get(article_id)
        assert head is not None and (head.read, head.starred) == (n % 2 == 0, n % 2 == 0)
    for head, content in store.contents():
        number = int(head.title.split()[1])
        if number < 30:
            last = max(n for n in range(30) if n % 3 == number % 3)
            assert content.standfirst == f"Standfirst {number} (v{last})"


def test_processes_creating_one_store_at_once_all_succeed(tmp_path: Path) -> None:
    results = list(_together(tmp_path, [("print(len(store))\n", "") for _ in range(6)]))
    for result in results:
        assert result.returncode == 0, result.stderr
        assert result.stdout == "0\n"
    assert orjson.loads((tmp_path / "db" / "meta.json").read_bytes())["meta"]["1"]["format"] == 2


@pytest.mark.parametrize(
    "content", [b"\xff\xfe not utf-8", b"<html><body>not a feed</body></html>", b""]
)
def test_an_import_whose_source_fails_to_parse_leaves_the_store_unchanged(
    db: Path, tmp_path: Path, content: bytes
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    before = files(db)
    line = one_error_line(reader("import", str(bad), db=db))
    assert line.startswith(f"reader: error: {bad}: ")
    assert files(db) == before


def test_reset_asks_first_and_touches_only_a_store(db: Path, tmp_path: Path) -> None:
    before = files(db)
    refused = reader("reset", db=db)  # no terminal to ask on: the answer is no
    assert "not confirmed; nothing changed" in one_error_line(refused)
    assert files(db) == before

    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "letter.txt").write_text("dear reader")
    for args in (("reset", "--yes"), ("repair",), ("list",)):
        line = one_error_line(reader(*args, db=documents))
        assert f"{documents}: not a reader store" in line
    assert [p.name for p in documents.iterdir()] == ["letter.txt"]
    assert "/: not a reader store" in one_error_line(reader("reset", "--yes", db=Path("/")))


def test_repair_drops_the_search_index_it_may_have_made_stale(db: Path) -> None:
    from reader.index_files import StoredIndex

    StoredIndex.open(db / "search").sync(Store.open(db))
    assert any((db / "search").iterdir())
    (db / "00000.00.text.json").unlink()  # the text goes, the revs stay

    repair(db)

    assert not (db / "search").exists()
    from reader.search import Searcher

    store = Store.open(db)
    index = StoredIndex.open(db / "search")
    index.sync(store)
    assert Searcher(index).search("propagandists", store.headlines()) == []  # text gone
