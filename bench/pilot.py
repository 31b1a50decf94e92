"""Time cursor moves inside the app with Textual's ``App.run_test()`` and ``Pilot``.

Run as ``python -m bench.pilot STORE_DIR`` (a subprocess of the benchmark, so that its memory
and event loop are its own); prints one JSON object.

A ``pilot.press`` costs tens of milliseconds of harness overhead (waiting for every widget to
drain its queue). To take that out, each key is timed against a baseline: a key with no binding
pressed in the same app, on the same store, in the same state. The reported figure is the
median press of the key minus the median press of the baseline key.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

PRESSES = 30
BASELINE_KEY = "f12"  # bound to nothing in the reader


async def _measure(store: Path, presses: int) -> dict[str, float]:
    from reader.ui.app import ReaderApp

    app = ReaderApp(store)
    async with app.run_test(size=(160, 48)) as pilot:
        deadline = time.perf_counter() + 300
        # Wait for the headlines, and for the search index, whose thread would compete for the GIL.
        while not (
            app.store is not None and app.main.headlines.rows
            and len(app.main.index) == len(app.store)
        ):
            if time.perf_counter() > deadline:
                raise TimeoutError("the app did not load the store within 300 s")
            await pilot.pause(0.05)
        await pilot.pause(0.2)

        async def timed(key: str, count: int) -> tuple[list[float], list[float]]:
            """Wall and CPU seconds of each press of ``key``."""
            wall, cpu = [], []
            for _ in range(count):
                start, start_cpu = time.perf_counter(), time.process_time()
                await pilot.press(key)
                wall.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            return wall, cpu

        out: dict[str, float] = {}
        rows = len(app.main.headlines.rows)
        # Page down stops at the end of the list: at most as many pages as the list holds.
        pages = max(1, min(presses, rows // 48 - 1))
        for name, key, count in (("row", "down", presses), ("page", "pagedown", pages)):
            base, base_cpu = map(statistics.median, await timed(BASELINE_KEY, count))
            press, press_cpu = map(statistics.median, await timed(key, count))
            out[f"press_{name}"] = press
            out[f"baseline_{name}"] = base
            out[f"move_{name}"] = max(press - base, 0.0)
            out[f"cpu_{name}"] = max(press_cpu - base_cpu, 0.0)
        out["cursor"] = app.main.headlines.cursor
        out["rows"] = rows
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    store = Path(args[0])
    presses = int(args[1]) if len(args) > 1 else PRESSES
    print(json.dumps(asyncio.run(_measure(store, presses))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
