"""Opening a store written by the previous release: everything kept, and a kill is harmless."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest

from reader.errors import StoreDamaged
from reader.store import Store

ROOT = Path(__file__).resolve().parent.parent
OLD = ROOT / "fixtures" / "stores" / "v1"
EXPECTED: list[dict[str, Any]] = json.loads(
    (ROOT / "fixtures" / "stores" / "v1-expected.json").read_text(encoding="utf-8")
)


def what_it_holds(store: Store) -> list[dict[str, Any]]:
    return [
        {
            "id": h.id, "title": h.title, "feed": h.feed, "link": h.link, "guid": h.guid,
            "read": h.read, "starred": h.starred, "published": h.published,
            "standfirst": store.content(h.id).standfirst, "body": store.content(h.id).body,
        }
        for h in store.headlines()
    ]


@pytest.fixture
def old(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    shutil.copytree(OLD, path)
    return path


def test_a_store_of_the_previous_release_opens_with_everything_kept(old: Path) -> None:
    store = Store.open(old)

    assert what_it_holds(store) == EXPECTED  # ids, flags, text, order
    assert len(store.notices) == 1 and "upgraded the store to format 2" in store.notices[0]
    (aside,) = old.glob("format-1-*")
    assert sorted(p.name for p in aside.iterdir()) == [
        "00000.articles.json", "00000.index.json", "00000.state.json", "top.json",
    ]
    old_text = (OLD / "00000.articles.json").read_bytes()
    assert (aside / "00000.articles.json").read_bytes() == old_text
    again = Store.open(old)
    assert again.notices == [] and what_it_holds(again) == EXPECTED


def test_reimporting_a_feed_after_the_upgrade_updates_instead_of_doubling(old: Path) -> None:
    from reader.importer import import_sources

    store = Store.open(old)
    reports = import_sources(store, [str(ROOT / "fixtures" / "feed.xml"),
                                     str(ROOT / "fixtures" / "seed.txt")])
    assert [str(r.counts) for r in reports] == ["added 0, updated 0, unchanged 20"] * 2
    assert len(store) == 22
    by_url = {f["url"]: f for f in store.feeds()}
    assert str((ROOT / "fixtures" / "feed.xml").resolve()) in by_url  # the old feed, adopted


_KILL_AT = """
import os, sys
from pathlib import Path
calls, limit, real = 0, int(sys.argv[2]), os.replace
def replace(*args, **kwargs):
    global calls
    calls += 1
    if calls == limit:
        os._exit(9)  # as SIGKILL: no cleanup, no finally
    return real(*args, **kwargs)
os.replace = replace
from reader.store import Store
Store.open(Path(sys.argv[1]))
print("finished")
"""


def test_a_kill_at_any_rename_of_the_migration_leaves_a_store_that_opens_whole(
    tmp_path: Path,
) -> None:
    finished = False
    limit = 1
    while not finished:
        path = tmp_path / f"store-{limit}"
        shutil.copytree(OLD, path)
        result = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(_KILL_AT), str(path), str(limit)],
            capture_output=True, text=True, cwd=ROOT, timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        finished = result.stdout.strip() == "finished"
        assert finished or result.returncode == 9, result.stderr
        store = Store.open(path)  # finishes or redoes the migration
        assert what_it_holds(store) == EXPECTED, limit
        assert not [p for p in path.iterdir() if p.name.endswith((".index.json", ".state.json"))]
        limit += 1
    assert limit > 8  # the kill did land at every rename along the way


def test_a_store_of_a_newer_format_is_refused_in_one_line(old: Path) -> None:
    meta = old / "meta.json"
    meta.write_bytes(orjson.dumps({"meta": {"1": {"format": 99, "app": "reader-tui"}}}))
    before = {p.name: p.read_bytes() for p in old.iterdir()}
    with pytest.raises(StoreDamaged, match="written by a newer version") as raised:
        Store.open(old)
    assert "\n" not in str(raised.value)
    assert {p.name: p.read_bytes() for p in old.iterdir()} == before
