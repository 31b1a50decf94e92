"""``python -m bench``: this project and newsboat, side by side, on the same generated feeds.

For every size and run, both programs import the same files into fresh stores and are then
measured the same way; the table reports the median of the runs. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import corpus, newsboat, ours, term
from bench.results import Results

DEFAULT_OUT = Path(__file__).resolve().parent / "out"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _run(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


def source_hash() -> str:
    """A short hash of the project's source: which version of the code was measured."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent / "reader"
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".tcss") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def machine() -> list[tuple[str, str]]:
    """What the numbers were measured on."""
    model = next((line.split(":", 1)[1].strip() for line in _run(["lscpu"]).splitlines()
                  if line.startswith("Model name")), platform.processor() or "?")
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "0")
    try:
        from importlib.metadata import version

        libs = ", ".join(f"{name} {version(name)}" for name in ("textual", "tinydb", "feedparser",
                                                                  "orjson"))
    except Exception:
        libs = "?"
    return [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("reader source", f"sha256 {source_hash()} of reader/**/*.py and *.tcss"),
        ("CPU", f"{model}, {_run(['nproc'])} cores (nproc)"),
        ("memory", f"{int(memory) / 1024 / 1024:.1f} GiB"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("libraries", libs),
        ("newsboat", newsboat.version()),
        ("tmux", _run(["tmux", "-V"])),
        ("sqlite3 (Python module)", __import__("sqlite3").sqlite_version),
    ]


def markdown(results: Results, args: argparse.Namespace, info: list[tuple[str, str]]) -> str:
    lines = ["# Benchmark results: reader vs newsboat", ""]
    lines += [f"- **{key}**: {value}" for key, value in info]
    lines += [f"- **command**: `python -m bench {' '.join(args.argv)}`".replace("  ", " "),
              f"- **runs**: {args.runs} per size; every cell is the median of the runs", ""]
    lines += [results.markdown_table(), ""]
    lines += ["Ratio is ours / newsboat: below 1 means this project is faster or smaller. "
              "How each figure is measured: docs/benchmarks.md.", ""]
    if results.notes:
        lines += ["## Notes", "", *(f"- {note}" for note in results.notes), ""]
    if results.errors:
        lines += ["## Errors", "", *(f"- `{error}`" for error in results.errors), ""]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="comma-separated store sizes in items (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=3, help="runs per size (default: 3)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="corpus cache, stores and results (default: bench/out)")
    parser.add_argument("--quick", action="store_true", help="1,000 items only")
    parser.add_argument("--sides", default="ours,newsboat",
                        help="which programs to measure (default: %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the stores after the run")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.quick:
        args.sizes = "1000"
    args.size_list = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    args.side_list = [s.strip() for s in args.sides.split(",") if s.strip()]
    for side in args.side_list:
        if side not in ("ours", "newsboat"):
            parser.error(f"unknown side {side!r}")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Stop cleanly on SIGTERM too: the tmux server and its programs go with us.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    out: Path = args.out.resolve()  # the programs run in their own working directories
    out.mkdir(parents=True, exist_ok=True)
    work = out / "work"
    results = Results()
    sides = list(args.side_list)
    if "newsboat" in sides and shutil.which(newsboat.NEWSBOAT) is None:
        results.errors.append("newsboat is not installed: its side is skipped")
        sides.remove("newsboat")
    if "ours" in sides and (problem := ours.available()):
        results.errors.append(f"this project cannot run yet ({problem}): its side is skipped")
        sides.remove("ours")
    results.notes += [
        "Launch is what a user feels: ours until the whole list is in ('N of N'), newsboat until "
        "its feed list shows. Our first headlines paint earlier from a cache (launch_first).",
        "newsboat's first screen is its feed list; 'newest headline' adds Enter on the feed.",
        "newsboat's search rows time the query its search runs: one LIKE '%query%' (the whole "
        "query as one string) over title and content, rows returned newest first, through "
        "sqlite3 (LIKE folds ASCII case only). Ours time reader.search.Searcher on the index "
        "loaded from disk, a fresh searcher per query.",
        "Key rows marked tmux are key to screen: send-keys until capture-pane shows the change. "
        "The Pilot rows are in process (harness overhead removed); their CPU rows are the work.",
    ]
    info = machine()
    md_path, json_path = out / "results.md", out / "results.json"

    def save() -> None:
        md_path.write_text(markdown(results, args, info), encoding="utf-8")
        results.save_json(json_path)

    with term.Server():
        latency = term.capture_latency()
        results.notes.append(f"One tmux capture-pane round trip takes {latency * 1000:.1f} ms "
                             "here: screen timings are exact to about that much.")
        for size in args.size_list:
            log(f"corpus of {size:,} items")
            feeds = corpus.corpus(size, out)
            for run in range(args.runs):
                order = sides if run % 2 == 0 else sides[::-1]  # alternate who goes first
                for side in order:
                    log(f"{size:,} items, run {run + 1}/{args.runs}: {side}")
                    module = ours if side == "ours" else newsboat
                    workdir = work / f"{side}-{size}"
                    started = time.perf_counter()
                    try:
                        figures = module.run(feeds, workdir, len(feeds) > 1, results.errors)
                    except Exception as failure:
                        results.errors.append(f"{side}, {size:,} items, run {run + 1}: "
                                              f"{type(failure).__name__}: {failure}")
                        log(f"  failed: {failure}")
                        continue
                    results.add(size, side, figures)
                    log(f"  done in {time.perf_counter() - started:.0f} s")
                    save()
            if not args.keep:
                for side in sides:
                    for suffix in ("", "-more"):
                        shutil.rmtree(work / f"{side}-{size}{suffix}", ignore_errors=True)
    save()
    print(results.text_table())
    for error in results.errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"\nwritten: {md_path} and {json_path}")
    return 1 if results.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
