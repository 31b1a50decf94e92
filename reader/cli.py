"""The command line: a thin layer over the store, importer and search, for people and scripts.

Errors are one line on stderr and a non-zero exit code; nothing prints a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reader import __version__
from reader.article import Headline
from reader.errors import ReaderError
from reader.schema import KEEP_DAYS, Record, feed_name, feed_settings, feed_tags
from reader.store import Store
from reader.text import clean

if TYPE_CHECKING:
    from reader.config import Config
    from reader.fulltext import Outcome
    from reader.importer import Report
    from reader.refresh import Result

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

    _add_feed_commands(commands)

    command = commands.add_parser(
        "fulltext", help="fetch and keep the whole article behind each article's link"
    )
    command.add_argument("ids", nargs="+", metavar="ID", help="article ids (from list or search)")
    command.add_argument("--force", action="store_true",
                         help="fetch again a page already fetched or tried")

    command = commands.add_parser(
        "save", help="keep a web page as an article of the Saved feed, its full text included"
    )
    command.add_argument("url", metavar="URL", help="the page's http(s) URL")

    command = commands.add_parser(
        "opml", help="follow the feeds of an OPML file, or write the followed feeds as OPML"
    )
    actions = command.add_subparsers(dest="opml_command", metavar="ACTION", required=True)
    action = actions.add_parser(
        "import", help="follow every feed of an OPML file, without fetching; folders become tags"
    )
    action.add_argument("file", metavar="FILE")
    _add_version(action)
    action = actions.add_parser(
        "export", help="write every followed feed as OPML 2.0, tags as folders"
    )
    action.add_argument("file", nargs="?", metavar="FILE",
                        help="where to write it (default: standard output)")
    _add_version(action)

    commands.add_parser(
        "config", help="print where the settings file is and every setting in effect"
    )

    commands.add_parser("repair", help="set damaged store files aside and salvage their articles")
    command = commands.add_parser("reset", help="set the whole store aside and start a fresh one")
    command.add_argument("--yes", action="store_true", help="do not ask first")
    for command in commands.choices.values():
        _add_version(command)  # the README promises --version after any command
    return parser


def _add_feed_commands(commands: Any) -> None:
    """The commands of following feeds: add, remove, feeds, refresh, mark-read, expire."""
    command = commands.add_parser(
        "add", help="follow a feed and fetch it; given a web page, follow the feed it links to"
    )
    command.add_argument("url", metavar="URL", help="a feed's http(s) URL or file, or a web page")
    command.add_argument("--tag", action="append", default=[], metavar="TAG",
                         help="file the feed under TAG (may be given several times)")
    command.add_argument("--no-fetch", action="store_true",
                         help="follow URL as given, without fetching it (no page discovery)")
    command.add_argument("--all", action="store_true",
                         help="when the page links to several feeds, follow every one")
    command.add_argument("--full-text", action="store_true",
                         help="fetch each new item's whole article (see full text)")

    command = commands.add_parser(
        "remove", help="stop following a feed; its articles go, except starred ones"
    )
    command.add_argument("url", metavar="URL", help="the feed's URL, as `reader feeds` shows it")

    command = commands.add_parser(
        "edit", help="change a feed's settings (whole articles, tags, days kept); with no "
        "option, print them"
    )
    command.add_argument("url", metavar="URL", help="the feed's URL, as `reader feeds` shows it")
    command.add_argument("--full-text", choices=("on", "off"),
                         help="fetch each new item's whole article at refresh, or not")
    command.add_argument("--tag", action="append", default=[], metavar="TAG",
                         help="add the tag TAG (may be given several times)")
    command.add_argument("--untag", action="append", default=[], metavar="TAG",
                         help="remove the tag TAG (may be given several times)")
    command.add_argument("--keep-days", type=_keep_days, metavar="N|default",
                         help="`reader expire` keeps this feed's read articles N days "
                              "(default: the config's keep_days)")

    command = commands.add_parser(
        "feeds", help="every followed feed: title, unread, total, last updated, tags, error"
    )
    command.add_argument("--json", action="store_true", help="print JSON")

    command = commands.add_parser(
        "refresh", help="fetch every followed feed (or those named) and store what is new"
    )
    command.add_argument("urls", nargs="*", metavar="URL", help="only these feeds")
    command.add_argument("--jobs", type=_positive, metavar="N",
                         help="fetch N feeds at once (default: the config's jobs, 8)")

    command = commands.add_parser("mark-read", help="mark articles read")
    which = command.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every article")
    which.add_argument("--feed", metavar="URL", help="the articles of one feed")
    which.add_argument("--tag", metavar="TAG", help="the articles of the feeds tagged TAG")

    command = commands.add_parser(
        "expire", help="delete read, unstarred articles older than N days (never to return)"
    )
    command.add_argument("--days", type=_non_negative, metavar="N",
                         help="by their date; undated articles stay (default: the config's "
                              "keep_days, 30)")


def _positive(text: str) -> int:
    number = _non_negative(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return number


KEEP_DEFAULT = 0  # what --keep-days default stands for: the config's keep_days


def _keep_days(text: str) -> int:
    if text == "default":
        return KEEP_DEFAULT
    number = _non_negative(text)
    low, high = KEEP_DAYS
    if not low <= number <= high:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number of days from {low} to {high}, or 'default'")
    return number


def _non_negative(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 0 or more")
    return number


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
        data = _head_json(head) | {
            "standfirst": content.standfirst, "body": content.body,
            "full_text": content.full_text, "links": content.links,
        }
        _out(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        return 0
    meta = [clean(head.feed), head.published_iso or "no date", clean(head.author)]
    lines = [clean(head.title), " · ".join(part for part in meta if part)]
    if head.link:
        lines.append(clean(head.link))
    if content.full_text is not None:  # the page's own text, shown instead of the feed's
        lines += ["", *(clean(p) for p in content.full_text)]
        if content.links:
            lines += ["", *(f"[{n}] {clean(link)}" for n, link in enumerate(content.links, 1))]
        _out("\n".join(lines) + "\n")
        return 0
    text = [clean(p) for p in (content.standfirst, *content.body)]
    if content.standfirst:
        lines += ["", text[0]]
    if content.body:
        lines += ["", *text[1:]]
    if content.full_text_error is not None:
        lines += ["", f"(no full text: {clean(content.full_text_error)})"]
    _out("\n".join(lines) + "\n")
    return 0


def _search(store: Store, query: str) -> list[Headline]:
    from reader.index_files import StoredIndex
    from reader.search import Searcher

    index = StoredIndex.open(store.path / "search")
    index.sync(store)  # only what changed since it was saved; in memory if it cannot be saved
    found = Searcher(index).search(query, store.headlines())
    return found or []


def _print_report(report: Report) -> None:
    if report.error:
        print(f"reader: error: {report.error}", file=sys.stderr)
    else:
        _out(f"{report}\n")
        _flush()  # a long import shows each source as it is done


def _print_result(result: Result) -> None:
    if result.error is not None:
        print(f"reader: error: {result}", file=sys.stderr)
    else:
        _out(f"{result}\n")
        _flush()


class _Bar:
    """A progress line on stderr while a refresh runs, on a terminal only, erased at the end.

    Plain text (no escape sequences): the line is rewritten after a carriage return and
    blanked with spaces. Each result line goes above it: blank the bar, print, draw again.
    """

    WIDTH = 30

    def __init__(self, total: int, noun: str = "feeds") -> None:
        self.noun = noun
        self.shown = ""
        self.on = total > 0 and sys.stderr.isatty()
        self.draw(0, total)

    def draw(self, done: int, total: int) -> None:
        if not self.on:
            return
        filled = self.WIDTH * done // max(total, 1)
        line = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total} {self.noun}"
        sys.stderr.write("\r" + line.ljust(len(self.shown)))
        sys.stderr.flush()
        self.shown = line

    def erase(self) -> None:
        if self.on and self.shown:
            sys.stderr.write("\r" + " " * len(self.shown) + "\r")
            sys.stderr.flush()
            self.shown = ""

    def result(self, result: Result, done: int, total: int) -> None:
        self.erase()
        _print_result(result)
        self.draw(done, total)


def _refresh(store: Store, urls: list[str], jobs: int, per_host: int) -> int:
    from reader.refresh import refresh

    total = len(urls) if urls else sum(1 for feed in store.feeds() if feed["subscribed"])
    if not total:
        print("reader: no feed is followed yet (reader add URL follows one)", file=sys.stderr)
        return 0
    from reader.fulltext import full_text_due

    known = {head.id for head in store.headlines()}
    bar = _Bar(total)
    try:
        results = refresh(store, urls or None, jobs=jobs, per_host=per_host, progress=bar.result)
    finally:
        bar.erase()
    code = EXIT_ERROR if any(r.error is not None for r in results) else 0
    due = full_text_due(store, known)  # new articles of feeds with full text switched on
    if due:
        code = max(code, _fulltext(store, due, jobs=jobs, per_host=per_host))
    return code


def _print_outcome(outcome: Outcome) -> None:
    if outcome.error is not None:
        print(f"reader: error: {outcome}", file=sys.stderr)
    else:
        _out(f"{outcome}\n")
        _flush()


def _fulltext(
    store: Store, ids: Sequence[str], *, force: bool = False, jobs: int, per_host: int
) -> int:
    """Fetch the full text of ``ids`` with a progress bar; 1 if any article got none."""
    from reader.fulltext import fetch_full_text

    bar = _Bar(len(ids), "articles")

    def progress(outcome: Outcome, done: int, total: int) -> None:
        bar.erase()
        _print_outcome(outcome)
        bar.draw(done, total)

    try:
        outcomes = fetch_full_text(
            store, ids, force=force, jobs=jobs, per_host=per_host, progress=progress
        )
    finally:
        bar.erase()
    return EXIT_ERROR if any(o.error is not None for o in outcomes) else 0


def _save(store: Store, url: str) -> int:
    from reader.fulltext import save_page

    article_id, outcome = save_page(store, url)
    _print_outcome(outcome)
    return EXIT_ERROR if article_id is None else 0


def _add(store: Store, args: argparse.Namespace) -> int:
    tags = [clean(tag) for tag in args.tag]
    if not all(tags):
        print("reader: error: --tag: a tag must have a visible name", file=sys.stderr)
        return EXIT_ERROR
    from reader.fulltext import full_text_due
    from reader.refresh import add

    known = {head.id for head in store.headlines()}
    added = add(store, args.url, tags=tags, full_text=args.full_text, fetch=not args.no_fetch,
                every=args.all)
    for result in added.results:
        _print_result(result)
    due = full_text_due(store, known)
    if due:
        config = _settings()
        if _fulltext(store, due, jobs=config.jobs, per_host=config.per_host):
            return EXIT_ERROR
    if added.choices:
        width = max(len(found.url) for found in added.choices)
        _out("".join(f"{found.url.ljust(width)}  {found.title}".rstrip() + "\n"
                     for found in added.choices))
        print(f"reader: error: {clean(args.url)}: links to {len(added.choices)} feeds; add one "
              "of them, or every one with --all", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_ERROR if any(r.error is not None for r in added.results) else 0


def _find_feed(store: Store, url: str) -> Record | None:
    from reader.importer import store_source

    feed = store.feed(store_source(url))
    if feed is None:
        print(f"reader: error: {clean(url)}: no such feed (reader feeds lists them)",
              file=sys.stderr)
    return feed


def _edit(store: Store, args: argparse.Namespace) -> int:
    """Change the settings given (all or none) and print the feed's settings."""
    feed = _find_feed(store, args.url)
    if feed is None:
        return EXIT_ERROR
    try:
        added, removed = feed_tags(args.tag), feed_tags(args.untag)
    except ValueError as problem:
        print(f"reader: error: --tag: {problem}", file=sys.stderr)
        return EXIT_ERROR
    missing = [tag for tag in removed if tag not in feed["tags"]]
    if missing:
        print(f"reader: error: --untag {missing[0]}: {clean(args.url)} has no such tag; "
              "nothing changed", file=sys.stderr)
        return EXIT_ERROR
    changes: dict[str, Any] = {}
    if args.full_text is not None:
        changes["full_text"] = args.full_text == "on"
    if added or removed:
        changes["tags"] = feed_tags([*(t for t in feed["tags"] if t not in removed), *added])
    if args.keep_days is not None:
        changes["keep_days"] = None if args.keep_days == KEEP_DEFAULT else args.keep_days
    if changes:
        feed = store.set_feed(feed["id"], **changes)
    _out(f"{clean(feed['url'])}: {feed_settings(feed, _settings().keep_days)}\n")
    return 0


def _remove(store: Store, url: str) -> int:
    feed = _find_feed(store, url)
    if feed is None:
        return EXIT_ERROR
    starred = sum(1 for h in store.headlines() if h.feed_id == feed["id"] and h.starred)
    deleted = store.remove_feed(feed["id"])
    _out(f"{clean(feed['url'])}: no longer followed; {_count(deleted, 'article')} deleted, "
         f"{starred} starred kept\n")
    return 0


def _iso(stamp: int | None) -> str | None:
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, UTC).isoformat().replace("+00:00", "Z")


def _feeds(store: Store, as_json: bool) -> None:
    """Every followed feed, by title; plain columns cut and padded in terminal cells."""
    from rich.cells import cell_len, set_cell_size

    unread: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for head in store.headlines():
        total[head.feed_id] += 1
        unread[head.feed_id] += not head.read
    feeds = sorted((f for f in store.feeds() if f["subscribed"]),
                   key=lambda f: (clean(feed_name(f)).casefold(), f["url"]))
    rows = [{
        "url": feed["url"], "title": clean(feed_name(feed)), "tags": list(feed["tags"]),
        "unread": unread[feed["id"]], "total": total[feed["id"]],
        "updated": _iso(feed["updated"]), "error": feed["error"],
    } for feed in feeds]
    if as_json:
        _out(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return

    def cut(text: str, width: int) -> str:
        return set_cell_size(text, width - 1) + "…" if cell_len(text) > width else text

    table = [("TITLE", "UNREAD", "TOTAL", "UPDATED", "TAGS", "URL")] + [(
        cut(row["title"], 40), str(row["unread"]), str(row["total"]),
        (row["updated"] or "never")[:16].replace("T", " "),
        cut(clean(",".join(row["tags"])), 30) or "-", clean(row["url"]),
    ) for row in rows]
    widths = [max(cell_len(line[column]) for line in table) for column in range(5)]
    lines = []
    for number, line in enumerate(table):
        cells = [
            line[column].rjust(widths[column]) if column in (1, 2)
            else set_cell_size(line[column], widths[column])
            for column in range(5)
        ]
        lines.append("  ".join([*cells, line[5]]))
        error = rows[number - 1]["error"] if number else None
        if error:
            lines.append(f"  error: {clean(error)}")
    _out("".join(line + "\n" for line in lines))


def _mark_read(store: Store, args: argparse.Namespace) -> int:
    heads = [h for h in store.headlines() if not h.read]
    if args.feed is not None:
        feed = _find_feed(store, args.feed)
        if feed is None:
            return EXIT_ERROR
        heads = [h for h in heads if h.feed_id == feed["id"]]
    elif args.tag is not None:
        tagged = {f["id"] for f in store.feeds() if args.tag in f["tags"]}
        if not tagged:
            print(f"reader: error: --tag {clean(args.tag)}: no feed has this tag",
                  file=sys.stderr)
            return EXIT_ERROR
        heads = [h for h in heads if h.feed_id in tagged]
    marked = store.mark_read([h.id for h in heads])
    _out(f"marked {_count(marked, 'article')} read\n")
    return 0


def _expire(store: Store, days: int) -> None:
    """Delete read, unstarred articles dated more than ``days`` ago (a feed's own keep_days
    first); they leave tombstones, so a refresh does not bring them back."""
    keep = {f["id"]: f["keep_days"] for f in store.feeds() if f["keep_days"] is not None}
    now = time.time()
    old = [
        h.id for h in store.headlines()
        if h.read and not h.starred and h.published is not None
        and h.published < now - keep.get(h.feed_id, days) * 86400
    ]
    expired = store.delete(old)
    own = "" if not keep else (
        "; 1 feed keeps its own" if len(keep) == 1 else f"; {len(keep)} feeds keep their own")
    _out(f"expired {_count(expired, 'article')} (read, not starred, older than "
         f"{_count(days, 'day')}{own})\n")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


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


def _opml(store: Store, args: argparse.Namespace) -> int:
    from reader.opml import export_opml, import_opml, read_file

    if args.opml_command == "import":
        summary = import_opml(store, read_file(args.file), args.file)
        _out(f"{clean(args.file)}: {summary}\n")
        return 0
    data = export_opml(store)
    if args.file is None:
        _flush()
        with _stdout():
            sys.stdout.buffer.write(data)
        return 0
    from reader.storage import write_atomically

    write_atomically(Path(args.file), data)
    followed = sum(1 for feed in store.feeds() if feed["subscribed"])
    _out(f"{clean(args.file)}: wrote {followed} feeds\n")
    return 0


def _settings() -> Config:
    """The settings file's values; what is wrong in it is said on stderr, defaults used."""
    from reader.config import load_config

    config, warnings = load_config()
    for warning in warnings:
        print(f"reader: warning: {warning}", file=sys.stderr)
    return config


def _config() -> int:
    """The settings file's path (a TOML comment) and every setting in effect, as TOML; what
    is wrong in the file goes to stderr, and makes the exit status 1."""
    from reader.config import config_path, effective, load_config

    path = config_path()
    config, warnings = load_config(path)
    for warning in warnings:
        print(f"reader: warning: {warning}", file=sys.stderr)
    missing = "" if path.exists() else " (no such file: every setting is at its default)"
    _out(f"# {clean(str(path))}{missing}\n"
         + "".join(f"{key} = {value}\n" for key, value in effective(config)))
    return EXIT_ERROR if warnings else 0


def run(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    path: Path = args.db or default_store()
    if args.command == "config":
        return _config()
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
        from reader.ui.app import ReaderApp, require_terminal

        if (no_terminal := require_terminal()) is not None:
            print(no_terminal, file=sys.stderr)
            return EXIT_USAGE
        app = ReaderApp(path)
        app.run()
        return app.return_code or 0
    store = Store.open(path)
    for notice in store.notices:  # an upgrade of the store's format, say
        print(f"reader: {notice}", file=sys.stderr)
    if args.command == "import":
        from reader.importer import import_sources  # feedparser is slow to import: only here

        reports = import_sources(store, args.sources, progress=_print_report)
        return EXIT_ERROR if any(r.error for r in reports) else 0
    if args.command == "opml":
        return _opml(store, args)
    if args.command == "refresh":
        config = _settings()
        return _refresh(store, args.urls, args.jobs or config.jobs, config.per_host)
    if args.command == "add":
        return _add(store, args)
    if args.command == "fulltext":
        config = _settings()
        return _fulltext(store, args.ids, force=args.force, jobs=config.jobs,
                         per_host=config.per_host)
    if args.command == "save":
        return _save(store, args.url)
    if args.command == "remove":
        return _remove(store, args.url)
    if args.command == "edit":
        return _edit(store, args)
    if args.command == "mark-read":
        return _mark_read(store, args)
    if args.command == "feeds":
        _feeds(store, args.json)
    elif args.command == "expire":
        _expire(store, _settings().keep_days if args.days is None else args.days)
    elif args.command == "list":
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
