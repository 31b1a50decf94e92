"""The command line: a thin layer over the store, importer and search, for people and scripts.

Errors are one line on stderr and a non-zero exit code; nothing prints a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
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
EXIT_USAGE = 2


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
    parser.add_argument("--version", action="version", version=f"reader {__version__}")
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
    commands.add_parser("reset", help="set the whole store aside and start a fresh one")
    return parser


def _head_json(head: Headline) -> dict[str, Any]:
    return {
        "id": head.id, "title": head.title, "feed": head.feed, "published": head.published_iso,
        "author": head.author, "link": head.link, "read": head.read, "starred": head.starred,
    }


def _head_line(head: Headline) -> str:
    date = head.published_at.strftime("%Y-%m-%d") if head.published_at else "no date   "
    mark = "*" if head.starred else ("N" if not head.read else " ")
    return clean(f"{head.id} {mark} {date} {head.feed[:24]:<24} {head.title}")


def _print_heads(heads: Sequence[Headline], as_json: bool) -> None:
    if as_json:
        print(json.dumps([_head_json(h) for h in heads], ensure_ascii=False, indent=1))
    else:
        sys.stdout.writelines(_head_line(h) + "\n" for h in heads)


def _show(store: Store, article_id: str, as_json: bool) -> int:
    head = store.get(article_id)
    if head is None:
        print(f"reader: error: {article_id}: no such article in {store.path}", file=sys.stderr)
        return EXIT_ERROR
    content = store.content(article_id)
    if as_json:
        data = _head_json(head) | {"standfirst": content.standfirst, "body": content.body}
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return 0
    lines = [head.title, f"{head.feed} · {head.published_iso or 'no date'} · {head.author}"]
    lines += [head.link, "", content.standfirst, "", *content.body]
    print("\n".join(clean(line) for line in lines))
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
        print(report)


def run(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    path: Path = args.db or default_store()
    if args.command == "repair":
        from reader.repair import repair

        print(repair(path))
        return 0
    if args.command == "reset":
        from reader.repair import reset

        print(f"the old store is now at {reset(path)}; a fresh one starts at {path}")
        return 0
    if args.command is None:
        from reader.ui.app import ReaderApp

        return ReaderApp(path).run() or 0
    store = Store.open(path)
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
    try:
        return run(argv)
    except ReaderError as error:
        print(f"reader: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0

