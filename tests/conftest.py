"""Shared fixtures: stores filled from the repo's fixtures, the way a user would fill them."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from reader.importer import import_sources
from reader.store import Store

FIXTURES = Path(__file__).parent.parent / "fixtures"
SEED = FIXTURES / "seed.txt"
FEED = FIXTURES / "feed.xml"


async def settle(pilot: Pilot[None]) -> None:
    """Let the store load, the index build, the store lane's jobs and any search finish."""
    await pilot.pause()
    main = getattr(pilot.app, "main", None)
    for _ in range(1000):  # what the lane posts may start workers, and workers lane jobs
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if (main is None or main.lane_idle()) and not any(
            worker.is_running for worker in pilot.app.workers
        ):
            return
        await pilot.pause(0.005)


@pytest.fixture(autouse=True)
def no_user_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's own settings file (keys, theme) must not change what these tests see."""
    monkeypatch.setenv("READER_CONFIG", str(tmp_path / "no-settings.toml"))


@pytest.fixture
def seed_store(tmp_path: Path) -> Path:
    """A store holding the 20 seed articles, without dates (seed text only)."""
    path = tmp_path / "store"
    reports = import_sources(Store.open(path), [str(SEED)])
    assert reports[0].counts is not None and reports[0].counts.added == 20
    return path


@pytest.fixture
def feed_store(tmp_path: Path) -> Path:
    """A store holding the 20 articles enriched by the RSS fixture (links, dates, authors)."""
    path = tmp_path / "store"
    reports = import_sources(Store.open(path), [str(SEED), str(FEED)])
    assert all(r.counts is not None for r in reports), reports
    return path
