"""`reader add --full-text`, `refresh`, `fulltext`, `save` and `show` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.test_fulltext import PAGES, TRUTH, Server, serve, serve_seed

ROOT = Path(__file__).resolve().parent.parent
FEED = (ROOT / "fixtures" / "feed.xml").read_text(encoding="utf-8")


def reader(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reader", "--db", str(db), *args], capture_output=True,
        text=True, timeout=180, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture
def site() -> Iterator[Server]:
    yield from serve("127.0.0.2")


def test_a_truncated_feed_followed_with_full_text_reads_whole_offline(
    tmp_path: Path, site: Server
) -> None:
    serve_seed(site)
    feed = FEED
    for link in {urlsplit(p).path for p in _links(FEED)}:
        feed = feed.replace(f"https://www.theguardian.com{link}", site.url(link))
    site.page("/feed.xml", feed.encode(), "application/rss+xml")
    db = tmp_path / "db"

    added = reader(db, "add", site.url("/feed.xml"), "--full-text")
    assert added.returncode == 0, added.stderr
    assert "added 20" in added.stdout
    assert added.stdout.count("kept") == 20  # one line per article: "ID: kept N paragraphs"

    site.shutdown()  # offline from here on
    heads = json.loads(reader(db, "list", "--json").stdout)
    shown = json.loads(reader(db, "show", heads[0]["id"], "--json").stdout)
    assert shown["full_text"] and len(shown["full_text"]) > len(shown["body"]) + 1
    assert all(link.startswith("http") for link in shown["links"])
    only_on_page = json.loads(reader(db, "search", "cosmodrome", "--json").stdout)
    assert only_on_page, "a word found only on the page finds the article"


def test_save_keeps_a_page_and_a_404_is_one_line(tmp_path: Path, site: Server) -> None:
    name = next(iter(TRUTH))
    site.page("/read-later", (PAGES / name).read_bytes())
    db = tmp_path / "db"
    saved = reader(db, "save", site.url("/read-later"))
    assert saved.returncode == 0, saved.stderr
    (head,) = json.loads(reader(db, "list", "--json").stdout)
    assert head["feed"] == "Saved"
    missing = reader(db, "save", site.url("/nothing-here"))
    assert missing.returncode == 1
    (line,) = missing.stderr.splitlines()
    assert line.startswith("reader: error: ") and "404" in line


def _links(xml: str) -> list[str]:
    return [part.split("<")[0] for part in xml.split("<link>")[1:]]
