"""Errors that carry a one-line message fit to show a user as it is."""

from __future__ import annotations


class ReaderError(Exception):
    """Base class: ``str(error)`` is a complete one-line message naming the input at fault."""


class SourceError(ReaderError):
    """A seed file, feed file or URL that cannot be read or holds no article."""


class StoreError(ReaderError):
    """The store cannot be opened or written; what is on disk is left as it was."""


class StoreDamaged(StoreError):
    """A store file is not what this program wrote: it is never overwritten, only set aside."""


class StoreBusy(StoreError):
    """Another process holds the store's write lock for longer than we are willing to wait."""
