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


def test_help_and_version_work_everywhere() -> None:
    for args in ([], ["import"], ["list"], ["search"], ["show"], ["repair"], ["reset"]):
        result = reader(*args, "--help")
        assert result.returncode == 0, result.stderr
        assert "usage: reader" in result.stdout
    result = reader("--version")
    assert result.returncode == 0 and result.stdout.startswith("reader 0.")


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
    for key in ("id", "title", "feed", "published", "author", "link", "read", "starred"):
        assert key in everything[0]
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
    assert shown["title"] == first["title"]
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
