"""`reader repair` and `reader reset`: what to do with a store that no longer opens.

:func:`repair` reads every file of the store in full (``Store.open`` only checks what it must
to start fast), sets each damaged file aside under a new name, salvages every record it can
read, checked by the same rules as the store (:mod:`reader.schema`), and writes the repaired
files atomically:

- from a file that no longer parses (truncated, garbage bytes) every intact ``"slot": {...}``
  record is decoded on its own; a record of the wrong shape is dropped;
- a damaged or missing headlines file is rebuilt from the text files (the whole articles, the
  truth), plus whatever headline records survive for articles whose text is lost;
- a damaged or lost text file keeps what it still holds; an article known only from its
  headline comes back with an empty text;
- read/starred flags are kept wherever their record survives; a lost feed gets a placeholder;
- meta.json is written anew to count every segment found.

The damaged bytes are never changed: each file is hard-linked (or copied) to
``NAME.damaged-YYYYmmdd-HHMMSS`` before the repaired version replaces it. A store of an older
format is migrated by opening it; repair refuses one that is newer.

:func:`reset` sets the whole store folder aside as ``PATH.broken-YYYYmmdd-HHMMSS``; it only ever
renames a folder that is a store.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from reader.errors import StoreDamaged, StoreError
from reader.migrate import leftovers, migrate, store_format
from reader.schema import (
    APP,
    FEED,
    FLAGS,
    FORMAT,
    HEAD,
    SEGMENT_SIZE,
    TEXT,
    TOMBSTONE,
    Spec,
    bucket_of,
    is_valid,
    segment_files,
    slim,
    text_file,
)
from reader.storage import (
    WriteLock,
    fsync_dir,
    load_tables,
    one_line,
    remove_temporaries,
    write_atomically,
)
from reader.store import STORE_FILE

Record = dict[str, Any]
_SEGMENT_FILE = re.compile(r"^(\d{5})\.((heads|flags)|\d{2}\.text)\.json$")
# The start of one record of a TinyDB table: `{"12":{` or `,"12":{`. Outside a string a JSON
# text holds no unescaped quote inside a string, so in an intact region this matches only a key.
_RECORD_START = re.compile(r'[{,]\s*"(\d{1,9})"\s*:\s*(?=\{)')


@dataclass
class Report:
    """One line per file repaired, then a summary."""

    path: Path
    lines: list[str] = field(default_factory=list)
    articles: int = 0

    @property
    def repaired(self) -> bool:
        return bool(self.lines)

    def __str__(self) -> str:
        if not self.lines:
            return f"{self.path}: the store is sound ({self.articles} articles); nothing to repair"
        summary = f"{self.path}: repaired; the store now holds {self.articles} articles"
        return "\n".join([*self.lines, summary])


@dataclass
class _File:
    """One store file as repair found it: its records, and what (if anything) is wrong."""

    path: Path
    table: str
    records: dict[int, Record] = field(default_factory=dict)
    problem: str | None = None  # None: sound
    missing: bool = False
    dropped: int = 0  # records that were readable JSON but of the wrong shape


def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


def _free_name(path: Path, suffix: str) -> Path:
    candidate = path.with_name(f"{path.name}.{suffix}")
    number = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.{suffix}-{number}")
        number += 1
    return candidate


def _reason(error: StoreDamaged, path: Path) -> str:
    """``damaged store file (why)`` -> ``why``: the file is named at the start of the line."""
    reason = str(error).removeprefix(f"{path}: ")
    if reason.startswith("damaged store file (") and reason.endswith(")"):
        return reason[len("damaged store file (") : -1]
    return reason


# --- reading and salvaging ------------------------------------------------------------------


def salvage(data: bytes) -> dict[int, Record]:
    """Every intact ``"slot": {...}`` record in what is left of a TinyDB file."""
    text = data.decode("utf-8", errors="replace")
    decoder = json.JSONDecoder()
    records: dict[int, Record] = {}
    end = 0
    for match in _RECORD_START.finditer(text):
        if match.start() < end:
            continue  # inside a record already decoded
        try:
            doc, end = decoder.raw_decode(text, match.end())
        except ValueError:
            continue  # cut short or garbled: look for the next record
        if isinstance(doc, dict):
            records.setdefault(int(match.group(1)), doc)
    return records


def _valid_head(doc: object) -> bool:
    return is_valid(TOMBSTONE if isinstance(doc, dict) and "gone" in doc else HEAD, doc)


def _read(path: Path, table: str, spec: Spec | None = None) -> _File:
    found = _File(path, table)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        found.missing = True
        return found
    except OSError as error:
        raise StoreError(f"{path}: cannot read ({error.strerror})") from None
    raw: dict[str, Any] | None = None
    try:
        tables = load_tables(path, data)
        raw = tables.get(table)
        if raw is None or set(tables) != {table}:
            found.problem = "JSON of the wrong shape"
    except StoreDamaged as error:
        found.problem = _reason(error, path)
    docs = {int(k): v for k, v in raw.items()} if raw is not None else salvage(data)
    for slot, doc in docs.items():
        if _valid_record(table, spec, slot, doc):
            found.records[slot] = doc
        else:
            found.dropped += 1
    if found.dropped and found.problem is None:
        found.problem = f"{found.dropped} records of the wrong shape"
    return found


def _valid_record(table: str, spec: Spec | None, slot: int, doc: object) -> bool:
    if table == "heads":
        return 1 <= slot <= SEGMENT_SIZE and _valid_head(doc)
    if table == "feeds":
        return is_valid(FEED, doc)
    return spec is not None and 1 <= slot <= SEGMENT_SIZE and is_valid(spec, doc)


# --- writing ---------------------------------------------------------------------------------


class _Repair:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.report = Report(root)
        self.stamp = _stamp()

    def set_aside(self, path: Path) -> Path:
        """Keep the damaged bytes under a new name; the original name is replaced afterwards."""
        aside = _free_name(path, f"damaged-{self.stamp}")
        try:
            os.link(path, aside)
        except OSError:
            try:
                shutil.copy2(path, aside)
            except OSError as error:
                raise StoreError(
                    f"{path}: cannot set the damaged file aside ({error.strerror}); nothing changed"
                ) from None
        return aside

    def write(self, found: _File, records: dict[int, Record], what: str) -> None:
        if found.missing:
            head = f"{found.path.name}: missing"
            aside = ""
        else:
            head = f"{found.path.name}: damaged ({found.problem})"
            aside = f"; set aside as {self.set_aside(found.path).name}"
        data = orjson.dumps({found.table: {str(slot): records[slot] for slot in sorted(records)}})
        write_atomically(found.path, data)
        self.report.lines.append(f"{head}{aside}; {what}")

    # --- the parts of a store --------------------------------------------------------------

    def meta(self, segments: int) -> None:
        """meta.json: written anew if damaged, missing, or counting fewer segments than exist."""
        path = self.root / "meta.json"
        found = _File(path, "meta")
        try:
            tables = load_tables(path, path.read_bytes())
            doc = tables.get("meta", {}).get("1")
            doc = doc if isinstance(doc, dict) else {}
            version = doc.get("format")
            if not isinstance(version, int):
                found.problem = "no format version"
            elif version > FORMAT:
                raise StoreError(
                    f"{path}: written by a newer version of reader (store format {version}); "
                    "nothing changed: open it with that version"
                )
            elif not isinstance(counted := doc.get("segments", 0), int) or counted < segments:
                found.problem = "counts fewer segments than the store holds"
        except FileNotFoundError:
            found.missing = True
        except StoreDamaged as error:
            found.problem = _reason(error, path)
        except OSError as error:
            raise StoreError(f"{path}: cannot read ({error.strerror})") from None
        if found.missing or found.problem:
            head = f"meta.json: {'missing' if found.missing else f'damaged ({found.problem})'}"
            aside = "" if found.missing else f"; set aside as {self.set_aside(path).name}"
            write_atomically(path, _meta_bytes(segments))
            self.report.lines.append(f"{head}{aside}; written anew (store format {FORMAT})")

    def feeds(self, needed: set[str]) -> None:
        """feeds.json: what survives, plus a placeholder for each feed that articles name."""
        found = _read(self.root / "feeds.json", "feeds")
        feeds = {doc["id"]: doc for doc in found.records.values()}
        lost = sorted(needed - set(feeds))
        for fid in lost:
            feeds[fid] = {"id": fid, "url": f"legacy:recovered {fid}", "kind": "legacy",
                          "title": "(recovered feed)"}
        if found.problem or lost or (found.missing and feeds):
            records = {n: slim(FEED, doc) for n, doc in enumerate(feeds.values(), 1)}
            self.write(found, records, f"kept {len(found.records)} feeds, "
                       f"{len(lost)} placeholders for feeds that articles name")

    def segment(self, number: int, buckets: list[int]) -> set[str]:
        """Repair one segment's files; return the feed ids its articles name."""
        heads_name, flags_name = segment_files(number)
        heads = _read(self.root / heads_name, "heads")
        flags = _read(self.root / flags_name, "flags", FLAGS)
        texts = {b: _read(self.root / text_file(number, b), "text", TEXT) for b in buckets}

        # The text files: what survives, plus the headlines of articles whose text was lost.
        live = {s: d for s, d in heads.records.items() if "gone" not in d}
        for bucket, found in texts.items():
            wanted = {s: d for s, d in live.items() if bucket_of(s) == bucket}
            if found.problem or (found.missing and wanted):
                records = dict(found.records)
                rebuilt = 0
                for slot, doc in wanted.items():
                    if slot not in records:
                        records[slot] = slim(TEXT, doc)
                        rebuilt += 1
                self.write(found, records, f"kept {len(found.records)} articles, rebuilt "
                           f"{rebuilt} from the headlines without their text")
        for bucket in {bucket_of(s) for s in live} - set(texts):
            found = _File(self.root / text_file(number, bucket), "text", missing=True)
            records = {s: slim(TEXT, d) for s, d in live.items() if bucket_of(s) == bucket}
            self.write(found, records, f"rebuilt {len(records)} articles from the headlines "
                       "without their text")
            texts[bucket] = found
            found.records = records

        # The headlines: as they are if sound; else rebuilt from the text files (the truth).
        every_text = {s: d for found in texts.values() for s, d in found.records.items()}
        records = dict(heads.records)
        if heads.problem or heads.missing:
            records = {s: d for s, d in heads.records.items() if "gone" in d}
            records |= {s: slim(HEAD, d) for s, d in every_text.items()}
            records |= {s: d for s, d in live.items() if s not in records}
            self.write(heads, records, f"rebuilt {len(records)} headlines from the text files "
                       f"({len(set(records) - set(heads.records))} were not in the readable "
                       "headlines)")

        # The flags: whatever survives, for articles that exist.
        if flags.problem or flags.missing:
            kept = {s: d for s, d in flags.records.items() if s in records}
            self.write(flags, kept, f"kept the flags of {len(kept)} articles")
        alive = [d for d in records.values() if "gone" not in d]
        self.report.articles += len(alive)
        return {d["feed"] for d in alive}

    def derived_data(self) -> None:
        """The search index and top.json are derived data: after a repair (text may have been
        lost under an unchanged rev) they go, and are rebuilt from the store."""
        index = self.root / "search"
        if self.report.repaired and index.is_dir():
            shutil.rmtree(index, ignore_errors=True)
        path = self.root / "top.json"
        if not path.exists():
            return
        try:
            load_tables(path, path.read_bytes())
            sound = True
        except (StoreDamaged, OSError):
            sound = False
        if self.report.repaired or not sound:
            with contextlib.suppress(OSError):
                path.unlink()
            if not sound:
                self.report.lines.append("top.json: damaged start-up cache; removed")


def _meta_bytes(segments: int) -> bytes:
    record = {"format": FORMAT, "app": APP, "segments": segments}
    return orjson.dumps({"meta": {"1": record}})


def _store_dir(path: Path) -> Path:
    """The store folder; anything that is not a store is refused before it is touched."""
    path = Path(path).expanduser()
    if not path.exists():
        raise StoreError(f"{path}: no store here")
    if not path.is_dir():
        raise StoreError(f"{path}: is a file, but the store is a folder")
    try:
        names = [entry.name for entry in path.iterdir()]
    except OSError as error:
        raise StoreError(f"{path}: cannot read the store ({error.strerror})") from None
    if not any(STORE_FILE.match(name) for name in names):
        raise StoreError(f"{path}: not a reader store (no store files in it); nothing changed")
    return path


def repair(path: Path) -> Report:
    """Set damaged files aside, salvage what they hold, write the repaired files; report."""
    root = _store_dir(path)
    with WriteLock(root / "store.lock") as lock:
        job = _Repair(root)
        try:
            version = store_format(root)
        except StoreDamaged:
            version = FORMAT  # meta.json itself is damaged: repaired below
        if leftovers(root) or (version or FORMAT) < FORMAT:
            job.report.lines += migrate(root, lock, version)
        try:
            names = [entry.name for entry in root.iterdir()]
        except OSError as error:
            raise StoreError(f"{root}: cannot read the store ({error.strerror})") from None
        files: dict[int, set[int]] = {}
        for match in map(_SEGMENT_FILE.match, names):
            if match:
                buckets = files.setdefault(int(match.group(1)), set())
                if match.group(2).endswith(".text"):
                    buckets.add(int(match.group(2)[:2]))
        removed = remove_temporaries(root)
        if removed:
            job.report.lines.append(
                f"removed {len(removed)} temporary files left by interrupted writes"
            )
        count = max(files, default=-1) + 1
        job.meta(count)
        needed: set[str] = set()
        for number in range(count):
            needed |= job.segment(number, sorted(files.get(number, ())))
        job.feeds(needed)
        job.derived_data()
    return job.report


def reset(path: Path) -> Path:
    """Rename the store directory to ``PATH.broken-YYYYmmdd-HHMMSS``; return the new path.

    Waits for a write under way to finish. The next `reader` run starts a fresh store at PATH.
    """
    root = _store_dir(path)
    with WriteLock(root / "store.lock"):
        aside = _free_name(root, f"broken-{_stamp()}")
        try:
            os.rename(root, aside)
            fsync_dir(aside.parent)
        except OSError as error:
            raise StoreError(f"{root}: cannot set the store aside ({one_line(error)})") from None
    return aside
