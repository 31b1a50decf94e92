"""A TinyDB storage that never leaves a half-written file, and the store's write lock.

TinyDB's JSONStorage rewrites its file in place: a crash mid-write leaves a file that no longer
loads. This storage writes a temporary file, fsyncs it and renames it over the old one, so a
file on disk is always either the old version or the new one. It also keeps what it read in
memory (TinyDB would re-parse the file on every query) and re-reads only when another process
has replaced the file since.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from reader.errors import StoreBusy, StoreDamaged, StoreError

Tables = dict[str, dict[str, Any]]


def _stamp(stat: os.stat_result) -> tuple[int, int, int]:
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def load_tables(path: Path, data: bytes) -> Tables:
    """Parse a TinyDB file, or say in one line why it is not one."""
    try:
        tables = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise StoreDamaged(f"{path}: damaged store file (not valid JSON: {error})") from None
    if not isinstance(tables, dict) or not all(
        isinstance(table, dict) and all(isinstance(doc, dict) for doc in table.values())
        for table in tables.values()
    ):
        raise StoreDamaged(f"{path}: damaged store file (JSON of the wrong shape)")
    return tables


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as error:
        with contextlib.suppress(OSError):
            tmp.unlink()
        reason = "disk full" if error.errno in (errno.ENOSPC, errno.EFBIG) else error.strerror
        raise StoreError(f"{path}: cannot write ({reason}); the stored copy is unchanged") from None


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicJSONStorage(Storage):  # type: ignore[misc]
    """TinyDB storage: orjson, atomic replace, an in-memory copy, and batched writes."""

    def __init__(self, path: str | Path, create: bool = True) -> None:
        self.path = Path(path)
        self._create = create
        self._data: Tables | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._batch = 0
        self._dirty = False

    def read(self) -> Tables | None:
        if self._batch and self._data is not None:
            return self._data
        try:
            stamp = _stamp(os.stat(self.path))
        except FileNotFoundError:
            self._data, self._stamp = None, None
            return None
        if self._data is None or stamp != self._stamp:
            data = self.path.read_bytes()
            self._data = load_tables(self.path, data) if data else None
            self._stamp = stamp
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

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group many TinyDB operations into one write of the file, or none if they fail."""
        self.read()
        self._batch += 1
        try:
            yield
        except BaseException:
            self._batch -= 1
            self.forget()
            raise
        self._batch -= 1
        if not self._batch and self._dirty:
            self._dirty = False
            self._flush()

    def close(self) -> None:
        pass


class WriteLock:
    """An exclusive advisory lock on the store, held only for the length of one write.

    Readers never take it (every file is replaced atomically); writers re-read what changed
    under it, so two processes merge their changes instead of overwriting each other's.
    """

    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None
        self._depth = 0

    def __enter__(self) -> WriteLock:
        if self._depth == 0:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            deadline = time.monotonic() + self.timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        os.close(fd)
                        raise StoreBusy(
                            f"{self.path.parent}: the store is busy (another reader process is "
                            f"writing to it for more than {self.timeout:.0f} s)"
                        ) from None
                    time.sleep(0.01)
            self._fd = fd
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
