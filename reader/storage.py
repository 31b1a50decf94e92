"""A TinyDB storage that never leaves a half-written file, and the store's write lock.

TinyDB's JSONStorage rewrites its file in place: a crash mid-write leaves a file that no longer
loads. This storage writes a temporary file, fsyncs it and renames it over the old one, so a
file on disk is always either the old version or the new one. It also keeps what it read in
memory (TinyDB would re-parse the file on every query) and re-reads only when another process
has replaced the file since.

Several files can be changed as one :func:`transaction`: every new file is written and fsynced
before the first rename, so a write that fails (disk full, quota, I/O error) changes none of them.

Every write happens under the store's :class:`WriteLock`, and each new version of a file gets an
mtime strictly later than the version it replaces, so ``(inode, mtime, size)`` names one version:
a process that saw a file can tell, by ``stat`` alone, whether another process replaced it since
(inode numbers are recycled at once, and coarse clocks repeat mtimes; together they could not).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from reader.errors import StoreBusy, StoreDamaged, StoreError

Tables = dict[str, dict[str, Any]]
TEMPORARY = re.compile(r"^\..+\.\d+\.tmp$")  # what write_atomically leaves if it is killed


def _stamp(stat: os.stat_result) -> tuple[int, int, int]:
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def one_line(error: object) -> str:
    return " ".join(str(error).split())


def load_tables(path: Path, data: bytes) -> Tables:
    """Parse a TinyDB file, or say in one line why it is not one we wrote."""
    if not data.strip():
        raise StoreDamaged(f"{path}: damaged store file (empty)")
    try:
        tables = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise StoreDamaged(
            f"{path}: damaged store file (not valid JSON: {one_line(error)})"
        ) from None
    if not isinstance(tables, dict) or not all(map(_well_shaped, tables.values())):
        raise StoreDamaged(f"{path}: damaged store file (JSON of the wrong shape)")
    return tables


def _well_shaped(table: object) -> bool:
    """A table of records keyed by ASCII digits. Checked in C (map, join), not record by record
    in Python: a headlines file holds 5,000 records and start-up reads 20 of them."""
    return (
        type(table) is dict  # what orjson makes of a JSON object
        and all(map(str.isdigit, table))
        and "".join(table).isascii()
        and set(map(type, table.values())) <= {dict}
    )


def _write_error(path: Path, error: OSError, *, unchanged: bool = True) -> StoreError:
    reasons = {
        errno.ENOSPC: "disk full", errno.EDQUOT: "disk quota exceeded",
        errno.EFBIG: "file too large", errno.EROFS: "read-only file system",
    }
    reason = reasons.get(error.errno or 0) or error.strerror or type(error).__name__
    outcome = "the stored copy is unchanged" if unchanged else "the write stopped part-way"
    return StoreError(f"{path}: cannot write ({reason}); {outcome}")


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _later_than(fd: int, path: Path) -> None:
    """Give the file open at ``fd`` an mtime later than that of the ``path`` it will replace."""
    try:
        old = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return
    step = 1
    while (new := os.fstat(fd)).st_mtime_ns <= old and step <= 10**9:
        os.utime(fd, ns=(new.st_atime_ns, old + step))  # a coarse clock, or one set back
        step *= 1000


def stage(path: Path, data: bytes) -> Path:
    """Write ``data`` to a temporary file beside ``path``, durably; return the temporary file."""
    tmp = _temporary(path)
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            _later_than(handle.fileno(), path)
            os.fsync(handle.fileno())
    except OSError as error:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _write_error(path, error) from None
    return tmp


def commit(tmp: Path, path: Path) -> None:
    """Rename a staged file over ``path`` and make the rename durable."""
    os.replace(tmp, path)
    fsync_dir(path.parent)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file."""
    tmp = stage(path, data)
    try:
        commit(tmp, path)
    except OSError as error:
        unchanged = tmp.exists()  # the rename itself failed
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _write_error(path, error, unchanged=unchanged) from None


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicJSONStorage(Storage):  # type: ignore[misc,unused-ignore]
    """TinyDB storage: orjson, atomic replace, an in-memory copy, and batched writes."""

    def __init__(self, path: str | Path, create: bool = True) -> None:
        self.path = Path(path)
        self._create = create
        self._data: Tables | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._batch = 0
        self._dirty = False

    def read(self) -> Tables | None:
        if self._batch and (self._data is not None or self._dirty):
            return self._data
        try:
            stamp = _stamp(os.stat(self.path))
            if self._data is None or stamp != self._stamp:
                data = self.path.read_bytes()
                self._data = load_tables(self.path, data)
                self._stamp = stamp
        except FileNotFoundError:
            self._data, self._stamp = None, None
        except OSError as error:
            raise StoreError(f"{self.path}: cannot read ({error.strerror})") from None
        return self._data

    def write(self, data: Tables) -> None:
        self._data = data
        if self._batch:
            self._dirty = True
            return
        self._flush()

    def _flush(self) -> None:
        assert self._data is not None
        try:
            write_atomically(self.path, orjson.dumps(self._data))
        except StoreError:
            self.forget()
            raise
        self._stamp = _stamp(os.stat(self.path))

    def forget(self) -> None:
        """Drop the in-memory copy: the next read comes from disk."""
        self._data, self._stamp, self._dirty = None, None, False

    def close(self) -> None:
        pass


@contextlib.contextmanager
def transaction(storages: Sequence[AtomicJSONStorage]) -> Iterator[None]:
    """Group changes to several files: all are written, or (on any error) none.

    Inside, TinyDB operations change only the in-memory copies. On leaving, every changed file
    is staged (written and fsynced beside its target) before the first rename; the renames then
    happen in the order of ``storages``. An error while staging (disk full) removes the staged
    files and leaves every file as it was; the in-memory copies are dropped either way.
    """
    for storage in storages:
        storage.read()
    for storage in storages:
        storage._batch += 1
    try:
        yield
    except BaseException:
        for storage in storages:
            storage._batch -= 1
            storage.forget()
        raise
    for storage in storages:
        storage._batch -= 1
    changed = [s for s in storages if s._dirty and not s._batch]
    staged: list[tuple[AtomicJSONStorage, Path]] = []
    try:
        for storage in changed:
            assert storage._data is not None
            staged.append((storage, stage(storage.path, orjson.dumps(storage._data))))
        for position, (storage, tmp) in enumerate(staged):
            try:
                os.replace(tmp, storage.path)
            except OSError as error:
                unchanged = position == 0 and tmp.exists()
                raise _write_error(storage.path, error, unchanged=unchanged) from None
            storage._dirty = False
            storage._stamp = _stamp(os.stat(storage.path))
        for directory in {storage.path.parent for storage, _ in staged}:
            fsync_dir(directory)  # once for all the renames, not once per file
    except BaseException:
        for _, tmp in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        for storage in changed:
            storage.forget()
        raise


def remove_temporaries(directory: Path) -> list[Path]:
    """Delete what killed writes left behind; only safe under the write lock."""
    removed = []
    for entry in directory.iterdir():
        if TEMPORARY.match(entry.name) and entry.is_file():
            with contextlib.suppress(OSError):
                entry.unlink()
                removed.append(entry)
    return removed


def flock_until(fd: int, deadline: float) -> bool:
    """Take an exclusive flock on ``fd``, polling until ``deadline`` (monotonic); False if
    another process still holds it then. Polling, not a blocking flock: a wait must end."""
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)


class WriteLock:
    """An exclusive lock on the store, for threads of this process and for other processes.

    A thread takes ``mutex`` (re-entrant) first, then an advisory ``flock`` on ``store.lock``
    that excludes other processes; both are held only for the length of one write. Readers in
    other processes never take it (every file is replaced atomically); writers re-read what
    changed under it, so two processes merge their changes instead of overwriting each other's.
    """

    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        self.path = path
        self.timeout = timeout
        self.mutex = threading.RLock()
        self._fd: int | None = None
        self._depth = 0

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise StoreError(f"{self.path}: cannot lock the store ({error.strerror})") from None

    def _busy(self, who: str) -> StoreBusy:
        return StoreBusy(
            f"{self.path.parent}: the store is busy ({who} is writing to it for more than "
            f"{self.timeout:.0f} s)"
        )

    def __enter__(self) -> WriteLock:
        deadline = time.monotonic() + self.timeout
        if not self.mutex.acquire(timeout=self.timeout):
            raise self._busy("another thread of this process")
        try:
            if self._depth == 0:
                fd = self._open()
                if not flock_until(fd, deadline):
                    os.close(fd)
                    raise self._busy("another reader process")
                self._fd = fd
        except BaseException:
            self.mutex.release()
            raise
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        self.mutex.release()

    @contextlib.contextmanager
    def if_free(self) -> Iterator[bool]:
        """Hold the lock if nobody else does, without waiting; yield whether it is held."""
        if not self.mutex.acquire(blocking=False):
            yield False
            return
        try:
            if self._depth:
                self._depth += 1
                try:
                    yield True
                finally:
                    self._depth -= 1
                return
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                yield False
                return
            self._fd, self._depth = fd, 1
            try:
                yield True
            finally:
                self._depth = 0
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
                self._fd = None
        finally:
            self.mutex.release()
