"""The command line: a thin layer over the store, importer and search, for people and scripts.

Errors are one line on stderr and a non-zero exit code; nothing prints a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reader import __version__
from reader.article import Headline
from reader.errors import ReaderError
from reader.store import Store
from reader.text import clean

if TYPE_CHECKING:
    from reader.importer import Report

EXIT_ERROR = 1


def default_store() -> Path:
    """``READER_DB`` if set, else the platform's user data directory."""
    env = os.environ.get("READER_DB")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("reader-tui", appauthor=False) / "store"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reader",
        description="A terminal newsreader. With no command, opens the reader.",
    )
    _add_version(parser)
    parser.add_argument(
        "--db", metavar="PATH", type=Path, help="store directory (default: $READER_DB or "
        "the user data directory)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    command = commands.add_parser(
        "import", help="import seed text files, feed files and http(s) feed URLs"
    )
    command.add_argument("sources", nargs="+", metavar="SOURCE")

    command = commands.add_parser("list", help="list stored articles, newest first")
    command.add_argument("--limit", type=int, metavar="N", help="at most N articles")
    command.add_argument("--json", action="store_true", help="print JSON")

    command = commands.add_parser("search", help="list the articles that match a query")
    command.add_argument("query", help='words that must all match; "a phrase" in quotes')
    command.add_argument("--json", action="store_true", help="print JSON")

    command = commands.add_parser("show", help="print one article")
    command.add_argument("id", help="the article's id (from list or search)")
    command.add_argument("--json", action="store_true", help="print JSON")

    commands.add_parser("repair", help="set damaged store files aside and salvage their articles")
    command = commands.add_parser("reset", help="set the whole store aside and start a fresh one")
    command.add_argument("--yes", action="store_true", help="do not ask first")
    for command in commands.choices.values():
        _add_version(command)  # the README promises --version after any command
    return parser


def _add_version(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"reader {__version__}")


def _head_json(head: Headline) -> dict[str, Any]:
    return {
        "id": head.id, "title": head.title, "feed": head.feed, "feed_url": head.feed_url,
        "published": head.published_iso, "author": head.author, "link": head.link,
        "read": head.read, "starred": head.starred,
    }


FEED_WIDTH = 24  # terminal cells for the feed name in `reader list`


def _head_line(head: Headline) -> str:
    """One aligned row: id, unread and star markers, date, feed, title.

    Each field is cleaned on its own and then padded: cleaning the joined line would collapse
    the padding. The feed is cut and padded in terminal cells, so wide characters align too.
    """
    from rich.cells import cell_len, set_cell_size

    date = head.published_at.strftime("%Y-%m-%d") if head.published_at else "no date   "
    marks = ("N" if not head.read else " ") + ("*" if head.starred else " ")
    feed = clean(head.feed)
    if cell_len(feed) > FEED_WIDTH:
        feed = set_cell_size(feed, FEED_WIDTH - 1) + "…"
    feed = set_cell_size(feed, FEED_WIDTH)
    return f"{head.id} {marks} {date} {feed} {clean(head.title)}"


def _print_heads(heads: Sequence[Headline], as_json: bool) -> None:
    if as_json:
        _out(json.dumps([_head_json(h) for h in heads], ensure_ascii=False, indent=1) + "\n")
    else:
        _out("".join(_head_line(h) + "\n" for h in heads))


def _show(store: Store, article_id: str, as_json: bool) -> int:
    head = store.get(article_id)
    if head is None:
        print(f"reader: error: {article_id}: no such article in {store.path}", file=sys.stderr)
        return EXIT_ERROR
    content = store.content(article_id)
    if as_json:
        data = _head_json(head) | {"standfirst": content.standfirst, "body": content.body}
        _out(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        return 0
    meta = [clean(head.feed), head.published_iso or "no date", clean(head.author)]
    lines = [clean(head.title), " · ".join(part for part in meta if part)]
    if head.link:
        lines.append(clean(head.link))
    text = [clean(p) for p in (content.standfirst, *content.body)]
    if content.standfirst:
        lines += ["", text[0]]
    if content.body:
        lines += ["", *text[1:]]
    _out("\n".join(lines) + "\n")
    return 0


def _search(store: Store, query: str) -> list[Headline]:
    from reader.search import Searcher, SearchIndex

    index = SearchIndex()
    for head, content in store.contents():
        index.add(head, content)
    index.complete = True
    found = Searcher(index).search(query, store.headlines())
    return found or []


def _print_report(report: Report) -> None:
    if report.error:
        print(f"reader: error: {report.error}", file=sys.stderr)
    else:
        _out(f"{report}\n")
        _flush()  # a long import shows each source as it is done


class _OutputError(ReaderError):
    """Standard output cannot be written (a full disk, a closed pipe)."""


def _out(text: str) -> None:
    with _stdout():
        sys.stdout.write(text)


def _flush() -> None:
    with _stdout():
        sys.stdout.flush()


@contextlib.contextmanager
def _stdout() -> Iterator[None]:
    """A write to stdout that fails (a full disk) is an error about stdout, not a traceback;
    a closed pipe (``reader list | head``) stays a BrokenPipeError: the reader left, that is all.
    """
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as error:
        raise _OutputError(f"standard output: {_reason(error)}") from None


def _reason(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


def _os_error(error: OSError) -> str:
    """``PATH: reason`` for an OSError, in one line."""
    where = " -> ".join(str(n) for n in (error.filename, error.filename2) if n is not None)
    return clean(f"{where}: {_reason(error)}" if where else _reason(error))


def _drop_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _confirm(question: str) -> bool:
    """Ask on the terminal; with no terminal to ask on, the answer is no."""
    if not sys.stdin.isatty():
        return False
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def run(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    path: Path = args.db or default_store()
    if args.command == "repair":
        from reader.repair import repair

        _out(f"{repair(path)}\n")
        return 0
    if args.command == "reset":
        from reader.repair import reset

        if not (args.yes or _confirm(f"Set the store at {path} aside and start a fresh one?")):
            print("reader: error: reset: not confirmed; nothing changed (--yes to skip the "
                  "question)", file=sys.stderr)
            return EXIT_ERROR
        _out(f"the old store is now at {reset(path)}; a fresh one starts at {path}\n")
        return 0
    if args.command is None:
        from reader.ui.app import ReaderApp

        return ReaderApp(path).run() or 0
    store = Store.open(path)
    for notice in store.notices:  # an upgrade of the store's format, say
        print(f"reader: {notice}", file=sys.stderr)
    if args.command == "import":
        from reader.importer import import_sources  # feedparser is slow to import: only here

        reports = import_sources(store, args.sources, progress=_print_report)
        return EXIT_ERROR if any(r.error for r in reports) else 0
    if args.command == "list":
        heads = store.headlines()
        _print_heads(heads if args.limit is None else heads[: max(args.limit, 0)], args.json)
    elif args.command == "search":
        _print_heads(_search(store, args.query), args.json)
    elif args.command == "show":
        return _show(store, args.id, args.json)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; every failure is one line on stderr and a non-zero exit."""
    try:
        code = run(argv)
        _flush()
        return code
    except _OutputError as error:
        _drop_stdout()
        print(f"reader: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except ReaderError as error:
        print(f"reader: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _drop_stdout()
        return 0
    except OSError as error:  # a path too long, a permission, a device gone: never a traceback
        print(f"reader: error: {_os_error(error)}", file=sys.stderr)
        return EXIT_ERROR
