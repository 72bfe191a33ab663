"""Fixtures for the CLI's tests (harness/tests/test_cli*.py): a fake curriculum.

Also: a test that starts pytest in a subprocess (through pytester, or the CLI on the
fake curriculum) gets a timeout sized for that, unless it sets its own.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from harness import cli
from harness.terminal import Console
from harness.tests import fake_curriculum

# Fixtures whose tests start pytest subprocesses.
SUBPROCESS_FIXTURES = ("pytester", "fake_template", "fake_repo")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The repository's 5 s timeout is for a kata test's own code; one pytest subprocess
    # on a busy machine can take most of that just to start.
    for item in items:
        uses = getattr(item, "fixturenames", ())
        if item.get_closest_marker("timeout") is None and any(
            name in uses for name in SUBPROCESS_FIXTURES
        ):
            item.add_marker(pytest.mark.timeout(fake_curriculum.SUBPROCESS_TIMEOUT))


@pytest.fixture(scope="session")
def fake_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh fake curriculum on which `python -m harness` ran once (its cache is filled).

    What it printed is in status.txt, next to the katas.
    """
    root = fake_curriculum.build(tmp_path_factory.mktemp("template") / "repo")
    screen = Console(out=io.StringIO(), err=io.StringIO(), env={}, read_line=lambda: None)
    assert cli.main(["--root", str(root)], screen) == 0
    (root / "status.txt").write_text(screen.out.getvalue(), encoding="utf-8")
    return root


@pytest.fixture
def fake_repo(fake_template: Path, tmp_path: Path) -> Path:
    """A learner's copy of the fake curriculum: every stub untouched, results cached."""
    return fake_curriculum.copy(fake_template, tmp_path / "repo")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """A skipped browser test says why at the end even without -rs: never a silent skip."""
    reasons = {
        report.longrepr[2].removeprefix("Skipped: ")
        for report in terminalreporter.stats.get("skipped", [])
        if "test_dojo_browser" in report.nodeid and isinstance(report.longrepr, tuple)
    }
    for reason in sorted(reasons):
        terminalreporter.write_line(f"dashboard browser test skipped: {reason}", yellow=True)
