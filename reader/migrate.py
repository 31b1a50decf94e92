"""Bringing a store of an older format up to :data:`reader.schema.FORMAT`.

A migration writes the new files beside the old ones (their names never clash), then replaces
``meta.json``: that one rename is the moment the store changes format. Only after it are the old
files set aside, in a folder ``format-N-YYYYmmdd-HHMMSS`` inside the store. A kill at any moment
leaves the old store (new files not yet committed: removed and written again on the next open)
or the new one (old files not yet set aside: set aside on the next open).

Format 1 (the first release) kept per segment ``NNNNN.index.json`` (headlines),
``NNNNN.articles.json`` (whole articles) and ``NNNNN.state.json`` (flags); articles had a feed
*name* only, and were matched store-wide. Each name becomes a "legacy" feed, which the first
import of a source with that title adopts, so re-importing a feed after the upgrade updates its
articles instead of doubling them.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from pathlib import Path
from typing import Any

import orjson

from reader.errors import StoreDamaged, StoreError
from reader.schema import (
    APP,
    FEED,
    FORMAT,
    HEAD,
    TEXT,
    Record,
    bucket_of,
    check,
    feed_id,
    segment_files,
    slim,
    text_file,
)
from reader.storage import WriteLock, commit, fsync_dir, load_tables, one_line, stage

V1_FILE = re.compile(r"^(\d{5})\.(index|articles|state)\.json$")
_V2_FILE = re.compile(r"^\d{5}\.(heads|flags)\.json$|^\d{5}\.\d{2}\.text\.json$|^feeds\.json$")
_V1_HEAD = ("id", "title", "feed", "published", "author", "link", "guid")


def store_format(path: Path) -> int | None:
    """The format number in meta.json (None if it has none); damage raises."""
    try:
        meta = load_tables(path / "meta.json", (path / "meta.json").read_bytes())
    except FileNotFoundError:
        return None
    doc = meta.get("meta", {}).get("1")
    version = doc.get("format") if isinstance(doc, dict) else None
    return version if isinstance(version, int) else None


def _names(path: Path) -> list[str]:
    try:
        return sorted(entry.name for entry in path.iterdir())
    except OSError as error:
        raise StoreError(f"{path}: cannot read the store ({error.strerror})") from None


def leftovers(path: Path) -> bool:
    """True if an older format's files are still in the store (a migration was cut short)."""
    return any(V1_FILE.match(name) for name in _names(path))


def migrate(path: Path, lock: WriteLock, version: int | None) -> list[str]:
    """Migrate the store at ``path`` under ``lock``; return lines to tell the user."""
    with lock:
        version = store_format(path)  # another process may have migrated it meanwhile
        if version == FORMAT:
            aside = _set_aside(path, 1)
            return [f"{path}: finished an interrupted migration; old files are in {aside}"] \
                if aside else []
        if version != 1:
            raise StoreDamaged(f"{path / 'meta.json'}: unknown store format {version}")
        for name in _names(path):
            if _V2_FILE.match(name):
                (path / name).unlink()  # a migration killed before its commit: start again
        count = _write_v2(path)
        commit(stage(path / "meta.json", _meta(count[0])), path / "meta.json")
        aside = _set_aside(path, 1)
    return [
        f"{path}: upgraded the store to format {FORMAT} ({count[1]} articles kept); "
        f"the old files are in {aside}"
    ]


def _read_v1(path: Path, table: str) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        tables = load_tables(path, path.read_bytes())
    except StoreDamaged as error:
        raise StoreDamaged(
            f"{error}; the store cannot be upgraded until `reader repair` (of the release "
            "that wrote it) mends it"
        ) from None
    raw = tables.get(table)
    if not isinstance(raw, dict):
        raise StoreDamaged(f"{path}: damaged store file (no {table} table)")
    return raw


def _write_v2(path: Path) -> tuple[int, int]:
    """Write every format-2 file (staged, then renamed); return (segments, articles)."""
    numbers = sorted({int(m.group(1)) for m in map(V1_FILE.match, _names(path)) if m})
    feeds: dict[str, Record] = {}
    files: dict[str, bytes] = {}
    articles = 0
    for number in numbers:
        stem = f"{number:05d}"
        index = _read_v1(path / f"{stem}.index.json", "index")
        texts = _read_v1(path / f"{stem}.articles.json", "articles")
        state = _read_v1(path / f"{stem}.state.json", "state")
        heads: dict[str, Record] = {}
        buckets: dict[int, dict[str, Record]] = {}
        for slot, doc in index.items():
            if not isinstance(doc, dict) or any(name not in doc for name in _V1_HEAD):
                raise StoreDamaged(f"{path / f'{stem}.index.json'}: damaged store file")
            name = doc["feed"] if isinstance(doc["feed"], str) else ""
            url = f"legacy:{name}"
            fid = feed_id(url)
            feeds.setdefault(fid, {"id": fid, "url": url, "kind": "legacy", "title": name})
            text = texts.get(slot)
            text = text if isinstance(text, dict) else {}
            record = {f: doc[f] for f in _V1_HEAD if f != "feed"} | {"feed": fid, "rev": 1}
            record |= {"standfirst": text.get("standfirst", ""), "body": text.get("body", [])}
            where = path / f"{stem}.index.json"
            record = check(TEXT, record, where, "an article")
            heads[slot] = slim(HEAD, record)
            buckets.setdefault(bucket_of(int(slot)), {})[slot] = slim(TEXT, record)
            articles += 1
        flags = {
            slot: {"read": doc.get("read") is True, "starred": doc.get("starred") is True}
            for slot, doc in state.items() if slot in heads and isinstance(doc, dict)
        }
        heads_name, flags_name = segment_files(number)
        for bucket, records in buckets.items():
            files[text_file(number, bucket)] = orjson.dumps({"text": records})
        files[flags_name] = orjson.dumps({"flags": flags})
        files[heads_name] = orjson.dumps({"heads": heads})
    feed_docs = {str(n): slim(FEED, check(FEED, f, path)) for n, f in enumerate(feeds.values(), 1)}
    files = {"feeds.json": orjson.dumps({"feeds": feed_docs}), **files}
    staged = []
    try:
        for name, data in files.items():
            staged.append((stage(path / name, data), path / name))
        for tmp, target in staged:
            os.replace(tmp, target)
    except OSError as error:
        raise StoreError(f"{path}: cannot upgrade the store ({one_line(error)})") from None
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
    fsync_dir(path)
    return (numbers[-1] + 1 if numbers else 0), articles


def _meta(segments: int) -> bytes:
    return orjson.dumps({"meta": {"1": {"format": FORMAT, "app": APP, "segments": segments}}})


def _set_aside(path: Path, old: int) -> Path | None:
    """Move the old format's files (and the old start-up cache) into a folder of their own."""
    names = [name for name in _names(path) if V1_FILE.match(name)]
    if not names:
        return None
    aside = path / f"format-{old}-{time.strftime('%Y%m%d-%H%M%S')}"
    aside.mkdir(exist_ok=True)
    for name in names:
        os.replace(path / name, aside / name)
    with contextlib.suppress(FileNotFoundError):
        os.replace(path / "top.json", aside / "top.json")  # a cache of the old format
    fsync_dir(aside)
    fsync_dir(path)
    return aside
