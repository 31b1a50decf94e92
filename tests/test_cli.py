"""The installed command line, run as a subprocess the way scripts and people run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import FEED, SEED


def reader(
    *args: str, db: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "reader"]
    if db is not None:
        command += ["--db", str(db)]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})},
    )


COMMANDS = (
    [], ["import"], ["list"], ["search"], ["show"], ["repair"], ["reset"], ["add"], ["remove"],
    ["feeds"], ["refresh"], ["mark-read"], ["expire"],
)


def test_help_and_version_work_everywhere() -> None:
    for args in COMMANDS:
        result = reader(*args, "--help")
        assert result.returncode == 0, result.stderr
        assert "usage: reader" in result.stdout


def test_version_works_after_any_command(tmp_path: Path) -> None:
    for args in (*COMMANDS, ["import", "x.xml"], ["search", "putin"], ["show", "abc"]):
        result = reader(*args, "--version", db=tmp_path / "db")
        assert result.returncode == 0, (args, result.stderr)
        assert result.stdout.startswith("reader 0."), args
    assert not (tmp_path / "db").exists(), "--version touched the store"


def test_import_reports_per_source_and_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "db"
    first = reader("import", str(SEED), str(FEED), db=db)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        f"{SEED}: added 20, updated 0, unchanged 0",
        f"{FEED}: added 0, updated 20, unchanged 0",
    ]
    again = reader("import", str(FEED), str(SEED), db=db)
    assert again.stdout.splitlines() == [
        f"{FEED}: added 0, updated 0, unchanged 20",
        f"{SEED}: added 0, updated 0, unchanged 20",
    ]


def test_import_failure_is_one_line_and_nonzero(tmp_path: Path) -> None:
    db = tmp_path / "db"
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe not utf-8")
    result = reader("import", str(bad), str(SEED), "file:///etc/passwd", db=db)
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    assert len(errors) == 2, result.stderr
    assert errors[0].startswith(f"reader: error: {bad}: not UTF-8")
    assert "only http and https" in errors[1]
    assert "Traceback" not in result.stderr
    assert f"{SEED}: added 20" in result.stdout


def test_list_json_newest_first_with_limit(tmp_path: Path) -> None:
    db = tmp_path / "db"
    reader("import", str(SEED), str(FEED), db=db)
    everything = json.loads(reader("list", "--json", db=db).stdout)
    assert len(everything) == 20
    for key in ("id", "title", "feed", "feed_url", "published", "author", "link", "read",
                "starred"):
        assert key in everything[0]
    from reader.store import Store

    store = Store.open(db)
    assert [a["feed_url"] for a in everything] == [store.get(a["id"]).feed_url for a in everything]
    stamps = [a["published"] for a in everything]
    assert stamps == sorted(stamps, reverse=True)
    assert everything[0]["published"].endswith("Z")
    limited = json.loads(reader("list", "--json", "--limit", "3", db=db).stdout)
    assert limited == everything[:3]
    plain = reader("list", "--limit", "2", db=db).stdout.splitlines()
    assert len(plain) == 2 and everything[0]["title"] in plain[0]


def test_search_follows_the_search_bar_rules(tmp_path: Path) -> None:
    db = tmp_path / "db"
    reader("import", str(SEED), db=db)

    def titles(query: str) -> list[str]:
        result = reader("search", query, "--json", db=db)
        assert result.returncode == 0, result.stderr
        return [a["title"] for a in json.loads(result.stdout)]

    erdogan = "No sign of Black Sea grain breakthrough after Erdoğan-Putin talks"
    assert titles("ERDOGAN") == [erdogan]
    assert len(titles("putin's")) >= 1
    assert titles('"full support"') == [
        "Kim Jong-un offers Putin ‘full support’ in Russia’s ‘sacred fight’ with west"
    ]
    both, kim, lula = titles("kim lula"), titles("kim"), titles("lula")
    assert kim and lula and both == [t for t in kim if t in lula] == []
    both, putin = titles("kim putin"), titles("putin")
    assert both == [t for t in kim if t in putin] and 0 < len(both) < len(putin)
    assert titles("zzzznotaword") == []


def test_show_prints_the_article(tmp_path: Path) -> None:
    db = tmp_path / "db"
    reader("import", str(SEED), str(FEED), db=db)
    first = json.loads(reader("list", "--json", "--limit", "1", db=db).stdout)[0]
    shown = json.loads(reader("show", first["id"], "--json", db=db).stdout)
    assert shown["title"] == first["title"] and shown["feed_url"] == first["feed_url"]
    assert shown["standfirst"].startswith("North Korean media report")
    assert len(shown["body"]) == 2
    text = reader("show", first["id"], db=db).stdout
    assert first["title"] in text and first["link"] in text
    missing = reader("show", "nope", db=db)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1


def test_reader_db_environment_variable(tmp_path: Path) -> None:
    db = tmp_path / "from-env"
    result = reader("import", str(SEED), env={"READER_DB": str(db)})
    assert result.returncode == 0
    assert (db / "meta.json").exists()


def test_show_without_author_or_link_has_no_dangling_separator(tmp_path: Path) -> None:
    db = tmp_path / "db"
    reader("import", str(SEED), db=db)
    first = json.loads(reader("list", "--json", "--limit", "1", db=db).stdout)[0]
    assert first["author"] == "" and first["link"] == ""
    lines = reader("show", first["id"], db=db).stdout.splitlines()
    assert lines[0] == first["title"]
    assert lines[1] == "seed · no date"
    assert lines[2] == "" and lines[3].startswith("North Korean media report")
    assert lines[4] == "" and lines[5] and "" not in lines[5:]


def test_list_columns_align_and_show_both_markers(tmp_path: Path) -> None:
    from rich.cells import cell_len

    from reader.store import Store

    db = tmp_path / "db"
    wide = tmp_path / "wide.xml"
    wide.write_text(
        '<rss version="2.0"><channel><title>中文新闻中文新闻中文新闻中文新闻</title>'
        "<item><title>Wide   feed</title><guid>w</guid></item></channel></rss>",
        encoding="utf-8",
    )
    reader("import", str(SEED), str(FEED), str(wide), db=db)
    heads = json.loads(reader("list", "--json", db=db).stdout)
    read, starred_unread, starred_read = heads[1]["id"], heads[2]["id"], heads[3]["id"]
    store = Store.open(db)
    store.set_read(read, True)
    store.set_starred(starred_unread, True)
    store.set_read(starred_read, True)
    store.set_starred(starred_read, True)
    lines = reader("list", db=db).stdout.splitlines()
    assert len(lines) == 21
    by_id = {line[:16]: line for line in lines}
    assert by_id[heads[0]["id"]][16:20] == " N  "
    assert by_id[read][16:20] == "    "
    assert by_id[starred_unread][16:20] == " N* "
    assert by_id[starred_read][16:20] == "  * "
    columns = set()
    for head in heads:
        line = by_id[head["id"]]
        title = "Wide feed" if head["title"] == "Wide feed" else head["title"]
        assert line.endswith(title)
        columns.add(cell_len(line[: len(line) - len(title)]))
    assert len(columns) == 1, columns  # every title starts in the same terminal column
    assert " World news | The Guardi… " in by_id[heads[0]["id"]]  # a cut feed name says so


def test_a_path_too_long_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / ("x" * 300)
    for args in (["list"], ["import", str(SEED)], ["search", "putin"], ["show", "abc"]):
        result = reader(*args, db=db)
        assert result.returncode == 1, (args, result.stderr)
        assert result.stderr == f"reader: error: {db}: File name too long\n", args


def test_a_full_disk_on_stdout_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "db"
    reader("import", str(SEED), db=db)
    for args in (["list"], ["list", "--json"], ["import", str(SEED)]):
        with open("/dev/full", "w") as full:
            result = subprocess.run(
                [sys.executable, "-m", "reader", "--db", str(db), *args], stdout=full,
                stderr=subprocess.PIPE, text=True, timeout=120,
            )
        assert result.returncode == 1, args
        assert result.stderr == "reader: error: standard output: No space left on device\n"


def test_a_closed_pipe_is_not_an_error(tmp_path: Path) -> None:
    db = tmp_path / "db"
    reader("import", str(SEED), db=db)
    many = tmp_path / "many.xml"
    items = "".join(f"<item><title>t{i}</title><guid>{i}</guid></item>" for i in range(3000))
    many.write_text(f'<rss version="2.0"><channel><title>M</title>{items}</channel></rss>')
    reader("import", str(many), db=db)
    command = [sys.executable, "-m", "reader", "--db", str(db), "list"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()
        assert proc.wait(timeout=60) == 0
        assert proc.stderr.read() == b""
