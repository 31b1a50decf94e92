"""The figures the benchmark reports, their medians, and the text and Markdown tables."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SIDES = ("ours", "newsboat")


@dataclass(frozen=True, slots=True)
class Figure:
    key: str
    label: str
    unit: str  # "s" (seconds), "B" (bytes) or "n" (a count)


FIGURES = [
    Figure("import", "import from nothing", "s"),
    Figure("import_more", "import one 10k-item feed into a store of 90k", "s"),
    Figure("launch", "launch to the whole list usable (ours: 'N of N'; newsboat: feed list)",
           "s"),
    Figure("launch_first", "launch to the first headlines painted (from a cache)", "s"),
    Figure("launch_headline", "launch to newest headline on screen", "s"),
    Figure("search_at_launch", "search typed as the list shows, to the full-text count (tmux)",
           "s"),
    Figure("open_cold", "open the oldest article, cold, key to screen (tmux)", "s"),
    Figure("open_cold_api", "open the oldest article, cold, in process", "s"),
    Figure("key_down", "cursor down one row, key to screen (tmux)", "s"),
    Figure("key_pgdn", "page down, key to screen (tmux)", "s"),
    Figure("move_row", "cursor down one row, in process (Pilot, wall)", "s"),
    Figure("move_page", "page down, in process (Pilot, wall)", "s"),
    Figure("cpu_row", "cursor down one row, in process (Pilot, CPU)", "s"),
    Figure("cpu_page", "page down, in process (Pilot, CPU)", "s"),
    Figure("index_load", "load the saved search index and check it, in process", "s"),
    Figure("index", "rebuild the whole search index, in process", "s"),
    Figure("search1", "search 'prigozhin', whole word, one query", "s"),
    Figure("search1_hits", "  hits for 'prigozhin'", "n"),
    Figure("search2", "search 'putin prigozhin', whole query", "s"),
    Figure("search2_hits", "  hits for 'putin prigozhin'", "n"),
    Figure("search3", "search 'erdogan' (no accent), whole word", "s"),
    Figure("search3_hits", "  hits for 'erdogan'", "n"),
    Figure("type1_median", "search as you type 'prigozhin', median keystroke", "s"),
    Figure("type1_max", "search as you type 'prigozhin', slowest keystroke", "s"),
    Figure("type2_median", "search as you type 'putin prigozhin', median keystroke", "s"),
    Figure("type2_max", "search as you type 'putin prigozhin', slowest keystroke", "s"),
    Figure("search_app", "search in the app, query to results on screen (tmux)", "s"),
    Figure("mark_read", "mark one article read, durably", "s"),
    Figure("mem_launch", "peak memory (VmHWM) after launch", "B"),
    Figure("mem_used", "peak memory after scrolling and 5 searches", "B"),
    Figure("store", "store size on disk", "B"),
]
BY_KEY = {figure.key: figure for figure in FIGURES}


def fmt(value: float | None, unit: str) -> str:
    """A human-readable value: 1.23 s, 45.6 ms, 0.8 ms, 160 MB, 805."""
    if value is None:
        return "-"
    if unit == "s":
        if value >= 1:
            return f"{value:.2f} s"
        if value >= 0.01:
            return f"{value * 1000:.0f} ms"
        return f"{value * 1000:.2f} ms"
    if unit == "B":
        return f"{value / 1e6:.1f} MB"
    return f"{value:.0f}"


class Results:
    """Samples per (figure, size, side); reports the median of the runs."""

    def __init__(self) -> None:
        self.samples: dict[tuple[str, int, str], list[float]] = defaultdict(list)
        self.notes: list[str] = []
        self.errors: list[str] = []

    def add(self, size: int, side: str, figures: dict[str, float]) -> None:
        for key, value in figures.items():
            if key not in BY_KEY:
                raise KeyError(f"unknown figure {key!r}")
            self.samples[(key, size, side)].append(float(value))

    def median(self, key: str, size: int, side: str) -> float | None:
        values = self.samples.get((key, size, side))
        return statistics.median(values) if values else None

    def sizes(self) -> list[int]:
        return sorted({size for _, size, _ in self.samples})

    def rows(self) -> list[list[str]]:
        """Figure, store size, ours, newsboat, ratio (ours / newsboat)."""
        out = []
        for figure in FIGURES:
            for size in self.sizes():
                ours = self.median(figure.key, size, "ours")
                theirs = self.median(figure.key, size, "newsboat")
                if ours is None and theirs is None:
                    continue
                ratio = "-"
                if ours is not None and theirs and figure.unit != "n":
                    ratio = f"{ours / theirs:.2f}"
                n = max(len(self.samples.get((figure.key, size, s), [])) for s in SIDES)
                out.append([figure.label, f"{size:,}", fmt(ours, figure.unit),
                            fmt(theirs, figure.unit), ratio, str(n)])
        return out

    HEADER = ["figure", "store", "ours", "newsboat", "ours/newsboat", "runs"]

    def text_table(self) -> str:
        rows = [self.HEADER, *self.rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(self.HEADER))]
        lines = []
        for index, row in enumerate(rows):
            cells = [row[0].ljust(widths[0]), row[1].rjust(widths[1])]
            cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:], strict=True)]
            lines.append("  ".join(cells))
            if index == 0:
                lines.append("  ".join("-" * width for width in widths))
        return "\n".join(lines)

    def markdown_table(self) -> str:
        lines = ["| " + " | ".join(self.HEADER) + " |",
                 "|" + "|".join(["---", "---:", "---:", "---:", "---:", "---:"]) + "|"]
        for row in self.rows():
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        return "\n".join(lines)

    def save_json(self, path: Path) -> None:
        data = {
            "samples": [
                {"figure": k, "size": size, "side": side, "values": values}
                for (k, size, side), values in sorted(self.samples.items())
            ],
            "notes": self.notes,
            "errors": self.errors,
        }
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")


Step = tuple[str, Callable[[], dict[str, float]]]


def run_steps(side: str, items: int, steps: list[Step], errors: list[str]) -> dict[str, float]:
    """Run each measuring step; one that fails is recorded and must not lose the others."""
    out: dict[str, float] = {}
    for name, step in steps:
        try:
            out |= step()
        except Exception as error:
            errors.append(f"{side}, {items:,} items, {name}: {type(error).__name__}: {error}")
    return out

