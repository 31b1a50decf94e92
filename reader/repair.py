"""`reader repair` and `reader reset`: what to do with a store that no longer opens.

:func:`repair` reads every file of the store in full (``Store.open`` only checks what it must
to start fast), sets each damaged file aside under a new name, salvages every article it can
read, and writes the repaired files atomically:

- from a file that no longer parses (truncated, garbage bytes) every intact ``"slot": {...}``
  record is decoded on its own; a record of the wrong shape is dropped;
- a damaged or missing index is rebuilt from the articles file (the truth), plus whatever index
  records survive for articles whose text is lost;
- a damaged or lost articles file keeps what it still holds; an article known only from the
  index comes back with its headline and an empty text;
- read/starred flags are kept wherever their record survives.

The damaged bytes are never changed: each file is hard-linked (or copied) to
``NAME.damaged-YYYYmmdd-HHMMSS`` before the repaired version replaces it.

:func:`reset` sets the whole store directory aside as ``PATH.broken-YYYYmmdd-HHMMSS``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from reader.errors import StoreDamaged, StoreError
from reader.storage import (
    WriteLock,
    fsync_dir,
    load_tables,
    one_line,
    remove_temporaries,
    write_atomically,
)
from reader.store import FORMAT, HEAD_FIELDS, SEGMENT_SIZE, _head

Record = dict[str, Any]
_SEGMENT_FILE = re.compile(r"^(\d{5})\.(articles|index|state)\.json$")
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


def _valid_article(doc: Record, where: Path) -> bool:
    try:
        _head(doc, 0, where)
    except StoreDamaged:
        return False
    body = doc.get("body", [])
    return (
        type(doc.get("standfirst", "")) is str
        and type(body) is list
        and all(type(p) is str for p in body)
    )


def _valid_head(doc: Record, where: Path) -> bool:
    try:
        _head(doc, 0, where)
    except StoreDamaged:
        return False
    return True


def _valid_state(doc: Record, where: Path) -> bool:
    return all(type(doc.get(flag, False)) is bool for flag in ("read", "starred"))


_VALID: dict[str, Callable[[Record, Path], bool]] = {
    "articles": _valid_article, "index": _valid_head, "state": _valid_state,
}


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


def _read(path: Path, table: str) -> _File:
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
    valid = _VALID[table]
    for slot, doc in docs.items():
        if 1 <= slot <= SEGMENT_SIZE and valid(doc, path):
            found.records[slot] = doc
        else:
            found.dropped += 1
    if found.dropped and found.problem is None:
        found.problem = f"{found.dropped} records of the wrong shape"
    return found


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

    def meta(self, has_segments: bool) -> None:
        path = self.root / "meta.json"
        found = _File(path, "meta")
        try:
            tables = load_tables(path, path.read_bytes())
            doc = tables.get("meta", {}).get("1")
            version = doc.get("format") if isinstance(doc, dict) else None
            if not isinstance(version, int):
                found.problem = "no format version"
            elif version > FORMAT:
                raise StoreError(
                    f"{path}: written by a newer version of reader (store format {version}); "
                    "nothing changed: open it with that version, or `reader reset`"
                )
            elif version < FORMAT:
                found.problem = f"store format {version}, older than {FORMAT}"
        except FileNotFoundError:
            found.missing = True
            if not has_segments:
                write_atomically(path, _meta_bytes())
                return
        except StoreDamaged as error:
            found.problem = _reason(error, path)
        except OSError as error:
            raise StoreError(f"{path}: cannot read ({error.strerror})") from None
        if found.missing or found.problem:
            head = f"meta.json: {'missing' if found.missing else f'damaged ({found.problem})'}"
            aside = "" if found.missing else f"; set aside as {self.set_aside(path).name}"
            write_atomically(path, _meta_bytes())
            self.report.lines.append(f"{head}{aside}; written anew (store format {FORMAT})")

    def segment(self, number: int) -> None:
        stem = f"{number:05d}"
        articles = _read(self.root / f"{stem}.articles.json", "articles")
        index = _read(self.root / f"{stem}.index.json", "index")
        state = _read(self.root / f"{stem}.state.json", "state")

        # The articles: what survives, plus the headlines of articles whose text was lost.
        texts = dict(articles.records)
        if articles.problem or (articles.missing and index.records):
            from_index = 0
            for slot, doc in index.records.items():
                if slot not in texts:
                    texts[slot] = {f: doc[f] for f in HEAD_FIELDS} | {"standfirst": "", "body": []}
                    from_index += 1
            self.write(
                articles, texts,
                f"kept {len(articles.records)} articles, rebuilt {from_index} from the index "
                f"without their text",
            )

        # The index: as it is if sound; else rebuilt from the articles (the truth).
        heads = dict(index.records)
        if index.problem or (index.missing and texts):
            heads = {slot: {f: doc[f] for f in HEAD_FIELDS} for slot, doc in texts.items()}
            self.write(
                index, heads,
                f"rebuilt {len(heads)} headlines from the articles file "
                f"({len(set(heads) - set(index.records))} were not in the readable index)",
            )

        # The flags: whatever survives, for articles that exist.
        if state.problem:
            flags = {slot: doc for slot, doc in state.records.items() if slot in heads}
            self.write(state, flags, f"kept the flags of {len(flags)} articles")
        self.report.articles += len(heads)

    def first_screen_cache(self) -> None:
        """top.json is derived data: after a repair, or if unreadable, it simply goes."""
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


def _meta_bytes() -> bytes:
    return orjson.dumps({"meta": {"1": {"format": FORMAT, "app": "reader-tui"}}})


def _store_dir(path: Path) -> Path:
    path = Path(path).expanduser()
    if not path.exists():
        raise StoreError(f"{path}: no store here")
    if not path.is_dir():
        raise StoreError(f"{path}: is a file, but the store is a directory")
    return path


def repair(path: Path) -> Report:
    """Set damaged files aside, salvage what they hold, write the repaired files; report."""
    root = _store_dir(path)
    with WriteLock(root / "store.lock"):
        try:
            names = [entry.name for entry in root.iterdir()]
        except OSError as error:
            raise StoreError(f"{root}: cannot read the store ({error.strerror})") from None
        numbers = sorted({int(m.group(1)) for m in map(_SEGMENT_FILE.match, names) if m})
        job = _Repair(root)
        job.meta(has_segments=bool(numbers))
        removed = remove_temporaries(root)
        if removed:
            job.report.lines.append(
                f"removed {len(removed)} temporary files left by interrupted writes"
            )
        for number in numbers:
            job.segment(number)
        job.first_screen_cache()
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
