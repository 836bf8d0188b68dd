"""The build goes red when it should: a test that fails only on PostgreSQL, or a PostgreSQL-only
test that skips on the PostgreSQL run, makes the script behind `make test` exit non-zero."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "ci_samples"

pytestmark = [
    pytest.mark.skipif(
        bool(os.environ.get("TEST_DATABASE_URL")),
        reason="starts its own PostgreSQL and runs both passes itself: once per build is enough",
    ),
    pytest.mark.skipif(
        not (Path("/usr/lib/postgresql/15/bin/initdb").exists() and os.geteuid() == 0),
        reason="needs root and PostgreSQL 15 (scripts/test.sh installs it as root)",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_suites(sample: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env.pop("TEST_DATABASE_URL", None)
    env.pop("PYTEST_CURRENT_TEST", None)
    env |= {"PYTHON": sys.executable, "PYTEST_WORKERS": "0", "PGPORT": str(free_port())}
    return subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [
            shutil.which("bash") or "/bin/bash",
            "scripts/run-suites.sh",
            "-o",
            "python_files=sample_*.py",
            str(SAMPLES / sample),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_test_failing_only_on_postgresql_fails_the_build():
    result = run_suites("sample_fails_on_postgres.py")
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "== tests on PostgreSQL" in out
    assert "1 passed" in out  # SQLite
    assert "1 failed" in out  # PostgreSQL
    assert "== both databases passed" not in out


def test_a_postgres_only_test_skipped_on_postgresql_fails_the_build():
    result = run_suites("sample_skips_on_postgres.py")
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "1 skipped" in out  # SQLite may skip it
    assert "marked postgres_only but was skipped on the PostgreSQL run" in out


def test_a_suite_passing_on_both_databases_passes_the_build():
    result = run_suites("sample_passes_on_both.py")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert out.count("1 passed") == 2, out
    assert "== both databases passed" in out
