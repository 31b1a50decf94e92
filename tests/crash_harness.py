#!/usr/bin/env python
"""Crash-safety harness: SIGKILL writers at random moments, then check the store every time.

    python tests/crash_harness.py --kills 200 --articles 10000

It fills a store with ``--articles`` articles from generated RSS feeds, then runs rounds until
``--kills`` processes have been killed. Each round starts one of

- ``python -m reader --db D import SOURCES`` (one to three sources: a feed again, an updated
  version of a feed, a seed text file, or fresh articles as seed text and as a feed), or
- a state writer (this file, ``--state-driver``) that calls ``Store.set_read`` /
  ``Store.set_starred`` in a loop, printing ``begin ...`` before each call and ``saved ...``
  after it returns, or
- both at once,

and sends SIGKILL (to the whole process group: the importer's parser processes too) at a random
moment within the process's expected run time. Then it checks, in this process:

- ``Store.open`` works and leaves no temporary file behind;
- every source whose counts the importer printed (``SOURCE: added a, updated u, unchanged c``)
  is in the store: each of its articles exactly once, with the fields that source gives it;
- every flag reported saved is set; a write killed between ``begin`` and ``saved`` left either
  the old or the new value;
- every headline has its text, and no article appears twice.

The last line gives the counts. Exit status 0 only if every check passed.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reader.errors import ReaderError  # noqa: E402
from reader.storage import TEMPORARY  # noqa: E402
from reader.store import Store  # noqa: E402

_SAVED_LINE = re.compile(r"^(.*): added \d+, updated \d+, unchanged \d+(, skipped \d+)?$")
WORDS = [
    "ministers", "border", "harvest", "talks", "grain", "summit", "inquiry", "storm", "court",
    "election", "strike", "treaty", "vote", "budget", "protest", "ceasefire", "report", "river",
]
FRESH_BATCH = 20  # articles per batch of fresh articles


# --- the corpus ------------------------------------------------------------------------------


def title(i: int) -> str:
    return f"Harness story {i}: {WORDS[i % len(WORDS)]} and {WORDS[(i * 7) % len(WORDS)]}"


def guid(i: int) -> str:
    return f"urn:harness:{i}"


def link(i: int) -> str:
    return f"https://example.org/story/{i}"


def author(i: int) -> str:
    return f"Reporter {i % 37}"


def published(i: int) -> int:
    return 1_600_000_000 + i * 60


def standfirst(i: int, version: str) -> str:
    return f"Standfirst of story {i}, {version} version."


def body(i: int, version: str) -> list[str]:
    words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(30))
    return [f"Paragraph one of story {i} ({version}): {words}.", f"Paragraph two: {words[::-1]}."]


def feed_xml(ids: range, version: str) -> str:
    items = []
    for i in ids:
        html = "".join(f"<p>{p}</p>" for p in [standfirst(i, version), *body(i, version)])
        stamp = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(published(i)))
        items.append(
            f"<item><title>{escape(title(i))}</title><link>{link(i)}</link>"
            f'<guid isPermaLink="false">{guid(i)}</guid><pubDate>{stamp}</pubDate>'
            f"<dc:creator>{author(i)}</dc:creator>"
            f"<description>{escape(html)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        "<title>Harness feed</title><link>https://example.org/</link>"
        "<description>generated</description>" + "".join(items) + "</channel></rss>"
    )


def seed_text(ids: range) -> str:
    return "\n\n".join(
        f"{title(i)}\n\n{standfirst(i, 'seed')}\n\n{body(i, 'seed')[0]}\n\nContinue reading..."
        for i in ids
    )


@dataclass
class Source:
    path: Path
    ids: range
    kind: str  # "feed" (authoritative: a feed version) or "seed"
    # A feed's versions are one feed (one path) at two moments: the version to import is
    # copied over the feed's path just before the importer starts.
    version: Path | None = None


@dataclass
class Corpus:
    directory: Path
    articles: int
    feeds: list[tuple[Source, Source]] = field(default_factory=list)  # (v1, v2) per chunk
    seeds: list[Source] = field(default_factory=list)
    fresh: int = 0  # batches of fresh articles made so far

    @classmethod
    def make(cls, directory: Path, articles: int) -> Corpus:
        corpus = cls(directory, articles)
        per_file = max(articles // 20, 1)
        for start in range(0, articles, per_file):
            ids = range(start, min(start + per_file, articles))
            pair = []
            for version in ("first", "second"):
                text = directory / f"feed-{start:06d}-{version}.xml.template"
                text.write_text(feed_xml(ids, version), encoding="utf-8")
                pair.append(Source(directory / f"feed-{start:06d}.xml", ids, "feed", text))
            corpus.feeds.append((pair[0], pair[1]))
            path = directory / f"seed-{start:06d}.txt"
            path.write_text(seed_text(ids), encoding="utf-8")
            corpus.seeds.append(Source(path, ids, "seed"))
        return corpus

    def fresh_batch(self) -> tuple[Source, Source]:
        """New articles, as seed text and as a feed: seed then feed must enrich, not duplicate."""
        start = self.articles + self.fresh * FRESH_BATCH
        ids = range(start, start + FRESH_BATCH)
        self.fresh += 1
        seed = self.directory / f"fresh-{start:06d}.txt"
        seed.write_text(seed_text(ids), encoding="utf-8")
        feed = self.directory / f"fresh-{start:06d}.xml"
        feed.write_text(feed_xml(ids, "first"), encoding="utf-8")
        return Source(seed, ids, "seed"), Source(feed, ids, "feed")


# --- the state writer ------------------------------------------------------------------------


def state_driver(db: Path, seed: int, operations: int) -> int:
    """Flip flags at random, saying ``begin`` before each write and ``saved`` once it returned."""
    store = Store.open(db, create=False)
    ids = [head.id for head in store.headlines()]
    rng = random.Random(seed)
    out = sys.stdout
    for _ in range(operations):
        article_id, flag = rng.choice(ids), rng.choice(("read", "starred"))
        value = rng.random() < 0.5
        out.write(f"begin {article_id} {flag} {int(value)}\n")
        out.flush()
        if flag == "read":
            store.set_read(article_id, value)
        else:
            store.set_starred(article_id, value)
        out.write(f"saved {article_id} {flag} {int(value)}\n")
        out.flush()
    return 0


# --- the harness -----------------------------------------------------------------------------


class _Stop(Exception):
    """The store cannot be opened: the run ends there."""


@dataclass
class _Run:
    """A process of one round, and when to kill it: ``delay`` s after its ``after``-th report."""

    process: subprocess.Popen[bytes]
    out: Path
    since: float  # start, or when the after-th line appeared
    after: int
    delay: float
    last: float = 0.0  # when the last line appeared (the start, until one does)
    reports: int = 0
    size: int = 0
    live: bool = True
    killed: bool = False

    def __post_init__(self) -> None:
        self.last = self.since


@dataclass
class Result:
    kills: int = 0
    import_kills: int = 0
    state_kills: int = 0
    rounds: int = 0
    checks: int = 0
    failures: int = 0
    mid_write: int = 0  # kills that left a temporary file: the process died inside a write
    import_kills_merging: int = 0  # importers killed after their first report: while merging
    state_kills_in_call: int = 0  # state writers killed inside set_read/set_starred
    reports_saved: int = 0  # "SOURCE: added ..." lines printed by importers
    flags_saved: int = 0  # "saved ..." lines printed by state writers
    articles: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"crash harness: {self.kills} kills ({self.import_kills} importers, "
            f"{self.import_kills_merging} of them after a first report; {self.state_kills} state "
            f"writers, {self.state_kills_in_call} of them inside a set_* call; {self.mid_write} "
            f"left a half-written temporary file) in {self.rounds} rounds; "
            f"{self.checks} checks passed, {self.failures} failed; "
            f"{self.reports_saved} import reports and {self.flags_saved} flag writes reported "
            f"saved, every one re-verified at every later check; store holds {self.articles} "
            f"articles; {self.seconds:.0f} s"
        )


class Harness:
    def __init__(self, workdir: Path, articles: int, seed: int, log: bool) -> None:
        self.workdir = workdir
        self.db = workdir / "store"
        self.rng = random.Random(seed)
        self.log = log
        self.result = Result()
        self.corpus = Corpus.make(workdir, articles)
        self.saved: dict[Path, Source] = {}  # sources whose counts were printed
        self.flags: dict[tuple[str, str], bool] = {}  # (id, flag) -> value, as reported saved
        # seconds: from start to an importer's first report, between reports, a state writer's run
        self.estimate = {"first report": 1.0, "next report": 0.5, "state": 0.6}
        self.env = {
            **os.environ, "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }

    def say(self, text: str) -> None:
        """Progress, when run by hand."""
        if self.log:
            print(text, flush=True)

    # --- processes -----------------------------------------------------------------------

    def start(self, command: list[str], name: str) -> tuple[subprocess.Popen[bytes], Path]:
        out = self.workdir / f"{name}.out"
        with open(out, "wb") as handle:  # a file, not a pipe: what was written survives a kill
            process = subprocess.Popen(
                command, stdout=handle, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT,
                start_new_session=True,
            )
        return process, out

    def importer(self, sources: list[Source]) -> tuple[subprocess.Popen[bytes], Path]:
        for source in sources:
            if source.version is not None:
                shutil.copyfile(source.version, source.path)
        command = [sys.executable, "-m", "reader", "--db", str(self.db), "import"]
        return self.start([*command, *(str(s.path) for s in sources)], "import")

    def state_writer(self) -> tuple[subprocess.Popen[bytes], Path]:
        command = [
            sys.executable, str(Path(__file__).resolve()), "--state-driver", str(self.db),
            "--seed", str(self.rng.randrange(1 << 30)),
        ]
        return self.start(command, "state")

    def pick_sources(self) -> list[Source]:
        choices: list[Source] = []
        for _ in range(self.rng.randint(1, 3)):
            kind = self.rng.random()
            if kind < 0.45:
                choices.append(self.rng.choice(self.rng.choice(self.corpus.feeds)))
            elif kind < 0.6:
                choices.append(self.rng.choice(self.corpus.seeds))
            else:
                seed, feed = self.corpus.fresh_batch()
                choices += [seed, feed] if self.rng.random() < 0.7 else [feed]
        unique = {s.path: s for s in choices}
        return list(unique.values())

    # --- a round -------------------------------------------------------------------------

    def round(self, calibrate: bool = False) -> None:
        """One round; ``calibrate`` lets the importer finish, to learn how long imports take.

        An importer is killed a random time after its k-th report (k random): its sources are
        parsed in parallel up front, then merged and written one at a time, so that aims the
        kill into the merges and writes, the moments that matter, rather than the start-up.
        """
        kind = "import" if calibrate else self.rng.choice(("import", "state", "both"))
        runs: dict[str, _Run] = {}
        sources: list[Source] = []
        if kind in ("import", "both"):
            sources = self.pick_sources()
            process, out = self.importer(sources)
            after = self.rng.randrange(len(sources))
            gap = self.estimate["first report" if after == 0 else "next report"]
            delay = float("inf") if calibrate else self.rng.uniform(0.0, 1.1) * gap
            runs["import"] = _Run(process, out, time.monotonic(), after, delay)
        if kind in ("state", "both"):
            process, out = self.state_writer()  # killed a random time into its writing
            delay = self.rng.uniform(0.0, 1.0) * self.estimate["state"]
            runs["state"] = _Run(process, out, time.monotonic(), 1, delay)
        while any(run.live for run in runs.values()):
            for name, run in runs.items():
                if not run.live:
                    continue
                now = time.monotonic()
                self.watch(run, now, learn=name == "import")
                if run.process.poll() is not None:
                    run.live = False  # finished by itself: not a kill
                elif run.reports >= run.after and now - run.since >= run.delay:
                    os.killpg(run.process.pid, signal.SIGKILL)
                    run.process.wait()
                    run.live, run.killed = False, True
                    self.result.kills += 1
                    if name == "import":
                        self.result.import_kills += 1
                        self.result.import_kills_merging += run.reports > 0
                    else:
                        self.result.state_kills += 1
            time.sleep(0.002)
        self.result.rounds += 1
        self.check({name: run.out for name, run in runs.items()}, sources)
        if self.log:
            outcome = ", ".join(
                f"{name} {'killed' if run.killed else 'finished'}"
                + (f" after {run.reports} reports" if name == "import" else "")
                for name, run in runs.items()
            )
            names = " ".join(s.path.name for s in sources)
            self.say(f"round {self.result.rounds}: {outcome}: {names}")

    def watch(self, run: _Run, now: float, learn: bool) -> None:
        """Count the lines a process printed; for an importer, learn how far apart they come."""
        size = run.out.stat().st_size
        if size == run.size:
            return
        run.size = size
        reports = run.out.read_bytes().count(b"\n")
        if reports > run.reports:
            if learn:
                kind = "first report" if run.reports == 0 else "next report"
                gap = (now - run.last) / (reports - run.reports)
                self.estimate[kind] += 0.3 * (gap - self.estimate[kind])
            if run.reports < run.after:
                run.since = now  # the kill's delay counts from the after-th line
            run.reports, run.last = reports, now

    # --- the check -----------------------------------------------------------------------

    def fail(self, problem: str) -> None:
        self.result.problems.append(problem)
        self.say(f"FAILED: {problem}")

    def check(self, outputs: dict[str, Path], sources: list[Source]) -> None:
        failures = len(self.result.problems)
        if any(TEMPORARY.match(p.name) for p in self.db.iterdir()):
            self.result.mid_write += 1
        try:
            store = Store.open(self.db, create=False)
        except ReaderError as error:
            self.fail(f"Store.open failed after a kill: {error}")
            self.result.failures += 1
            raise _Stop from None
        leftovers = [p.name for p in self.db.iterdir() if TEMPORARY.match(p.name)]
        if leftovers:
            self.fail(f"temporary files left after open: {leftovers}")

        if "import" in outputs:
            self.read_import_output(outputs["import"], sources)
        in_flight = self.read_state_output(outputs["state"]) if "state" in outputs else None

        self.check_articles(store)
        self.check_flags(store, in_flight)
        self.result.articles = len(store)
        if len(self.result.problems) == failures:
            self.result.checks += 1
        else:
            self.result.failures += 1

    def read_import_output(self, out: Path, sources: list[Source]) -> None:
        by_path = {str(s.path): s for s in sources}
        for line in out.read_text(errors="replace").splitlines():
            match = _SAVED_LINE.match(line)
            if match and match.group(1) in by_path:
                source = by_path[match.group(1)]
                self.saved[source.path] = source
                self.result.reports_saved += 1
            elif line.strip():
                self.fail(f"unexpected importer output: {line[:200]}")

    def read_state_output(self, out: Path) -> tuple[str, str, bool] | None:
        """Apply what was reported saved; return the write killed in flight, if any."""
        in_flight = None
        for line in out.read_text(errors="replace").splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[0] in ("begin", "saved"):
                key = (parts[1], parts[2])
                if parts[0] == "begin":
                    in_flight = (parts[1], parts[2], parts[3] == "1")
                else:
                    self.flags[key] = parts[3] == "1"
                    self.result.flags_saved += 1
                    in_flight = None
            elif line.strip():
                self.fail(f"unexpected state writer output: {line[:200]}")
        return in_flight

    def check_articles(self, store: Store) -> None:
        heads = store.headlines()
        titles = Counter(head.title for head in heads)
        twice = [t for t, n in titles.items() if n > 1]
        if twice:
            self.fail(f"{len(twice)} articles stored twice, e.g. {twice[0]!r}")
        texts = {}
        for head, content in store.contents():
            if not content.standfirst:
                self.fail(f"{head.id} ({head.title!r}) is listed without its text")
            texts[head.title] = (head, content)
        for source in self.saved.values():
            for i in source.ids:
                found = texts.get(title(i))
                if found is None:
                    self.fail(f"{source.path.name}: reported saved, but {title(i)!r} is missing")
                    continue
                head, content = found
                if source.kind == "feed":
                    expected = (guid(i), link(i), author(i), published(i))
                    if (head.guid, head.link, head.author, head.published) != expected:
                        self.fail(f"{source.path.name}: {title(i)!r} lacks the feed's fields")
                    if content.standfirst not in (
                        standfirst(i, "first"), standfirst(i, "second")
                    ):
                        self.fail(f"{source.path.name}: {title(i)!r} lacks the feed's text")
                elif content.standfirst not in (
                    standfirst(i, "seed"), standfirst(i, "first"), standfirst(i, "second")
                ):
                    self.fail(f"{source.path.name}: {title(i)!r} has a text from nowhere")

    def check_flags(self, store: Store, in_flight: tuple[str, str, bool] | None) -> None:
        if in_flight is not None:  # killed inside the call: old or new value, both are fine
            self.result.state_kills_in_call += 1
            article_id, flag, _ = in_flight
            head = store.get(article_id)
            if head is not None:
                self.flags[(article_id, flag)] = bool(getattr(head, flag))
        for (article_id, flag), value in self.flags.items():
            head = store.get(article_id)
            if head is None:
                self.fail(f"{article_id}: flagged, then lost")
            elif getattr(head, flag) != value:
                self.fail(f"{article_id}: {flag}={value} was reported saved, store says otherwise")

    # --- the whole run -------------------------------------------------------------------

    def fill(self) -> None:
        """The starting store: every feed once, in one import, not killed."""
        sources = [pair[0] for pair in self.corpus.feeds]
        process, out = self.importer(sources)
        process.wait()
        self.read_import_output(out, sources)
        if process.returncode != 0 or len(self.saved) != len(sources):
            raise SystemExit(f"filling the store failed:\n{out.read_text()[-2000:]}")
        self.check({}, [])

    def run(self, kills: int) -> Result:
        started = time.monotonic()
        self.fill()
        self.say(f"filled: {self.result.articles} articles in {time.monotonic() - started:.1f} s")
        self.round(calibrate=True)
        self.say(
            f"an importer reports first after {self.estimate['first report']:.2f} s, "
            f"then every {self.estimate['next report']:.2f} s"
        )
        try:
            while self.result.kills < kills:
                self.round()
                if self.result.rounds % 10 == 0:
                    self.say(self.result.summary())
        except _Stop:
            pass  # the store no longer opens: nothing more to check
        self.result.seconds = time.monotonic() - started
        return self.result


def run(
    kills: int, articles: int, seed: int = 1, workdir: Path | None = None, log: bool = False
) -> Result:
    """Run the harness; ``workdir`` is kept if given, else a temporary directory is used."""
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        return Harness(workdir, articles, seed, log).run(kills)
    directory = Path(tempfile.mkdtemp(prefix="reader-crash-"))
    try:
        return Harness(directory, articles, seed, log).run(kills)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="keep the store and sources here")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--state-driver", type=Path, metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument("--operations", type=int, default=1_000_000, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.state_driver:
        return state_driver(args.state_driver, args.seed, args.operations)
    result = run(args.kills, args.articles, args.seed, args.workdir, log=not args.quiet)
    for problem in result.problems[:20]:
        print(f"problem: {problem}")
    print(result.summary())
    return 0 if result.failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
