"""`reader opml import/export` and `reader config`, run as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPML = ROOT / "fixtures" / "opml"


def reader(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reader", *args], capture_output=True, text=True, timeout=120,
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def test_opml_round_trip_through_the_command_line(tmp_path: Path) -> None:
    db, other = str(tmp_path / "db"), str(tmp_path / "other")
    first = reader("--db", db, "opml", "import", str(OPML / "nested.opml"))
    assert first.returncode == 0, first.stderr
    assert first.stdout.endswith("subscribed 7, already followed 0, skipped 5\n")
    again = reader("--db", db, "opml", "import", str(OPML / "nested.opml"))
    assert again.stdout.endswith("subscribed 0, already followed 7, skipped 5\n")

    exported = reader("--db", db, "opml", "export")
    out = tmp_path / "out.opml"
    written = reader("--db", db, "opml", "export", str(out))
    assert written.stdout == f"{out}: wrote 7 feeds\n"
    assert out.read_text(encoding="utf-8") == exported.stdout

    assert reader("--db", other, "opml", "import", str(out)).returncode == 0
    feeds = [reader("--db", path, "feeds", "--json").stdout for path in (db, other)]
    assert feeds[0] == feeds[1] and '"tags"' in feeds[0]


def test_bad_opml_is_one_line_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.opml"
    bad.write_text("<opml><body><outline xmlUrl='https://e.org/f'")
    for path in (str(bad), str(tmp_path / "missing.opml"), "/dev/zero"):
        result = reader("--db", str(tmp_path / "db"), "opml", "import", path)
        assert result.returncode == 1
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"reader: error: {path}: "), lines


def test_config_prints_path_and_values_and_names_a_bad_line(tmp_path: Path) -> None:
    missing = tmp_path / "none.toml"
    shown = reader("config", env={"READER_CONFIG": str(missing)})
    assert shown.returncode == 0
    first, *rest = shown.stdout.splitlines()
    assert first == f"# {missing} (no such file: every setting is at its default)"
    values = tomllib.loads("\n".join(rest))
    assert (values["jobs"], values["per_host"], values["keep_days"]) == (8, 2, 30)

    bad = tmp_path / "config.toml"
    bad.write_text("jobs = 3\nper_host = -1\n")
    result = reader("config", env={"READER_CONFIG": str(bad)})
    assert result.returncode == 1
    (warning,) = result.stderr.splitlines()
    assert "line 2" in warning and "per_host" in warning
    assert tomllib.loads(result.stdout)["jobs"] == 3
