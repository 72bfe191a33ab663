"""watch and interview (the dojo is in test_dojo_local.py): their clock, sleep and
keyboard are fakes, so nothing waits for real; the tests still run in real pytest
subprocesses on the fake curriculum.
"""

from __future__ import annotations

import io
import random
import time
from pathlib import Path

import pytest

from harness import catalog, cli, interview, progress, watch
from harness.terminal import Console
from harness.tests import fake_curriculum as fake
from harness.tests.fake_time import FakeTime, fake_console

pytestmark = pytest.mark.timeout(fake.SUBPROCESS_TIMEOUT)


# --- watch -----------------------------------------------------------------------------------
def test_a_save_that_changes_nothing_is_not_a_change(tmp_path):
    path = tmp_path / "kata.py"
    path.write_text("one")
    seen = watch.FileWatch(path)
    assert not seen.changed()
    path.write_text("one")  # saved again, same content
    assert not seen.changed()
    path.write_text("two!")
    assert seen.changed() and not seen.changed()


def test_watch_runs_the_next_kata_then_again_on_enter_and_on_save_and_moves_on_when_it_passes(
    fake_repo,
):
    clock = FakeTime()
    path = fake_repo / "katas" / "01_add" / "kata.py"
    keys = iter([""])  # Enter, once: run the tests again without a save
    screen: Console

    def keyboard() -> str | None:
        if "Now watching katas/02_greet/kata.py" in screen.out.getvalue():
            return "q"
        key = next(keys, None)
        if key is not None:  # after the Enter, save a solution a moment later
            clock.at(clock.now + 0.3, lambda: path.write_text(fake.SOLVED["01_add"]))
        return key

    screen = fake_console(clock, keyboard)
    code = cli.main(["--root", str(fake_repo), "watch", "--poll", "0.1"], screen)
    output = screen.out.getvalue()
    assert code == 0
    assert output.count("01_add is not started yet") == 2, "first run, then Enter ran it again"
    assert "katas/01_add/test_kata.py" in output, "pytest's own output is shown"
    assert "`add` in katas/01_add/kata.py is still a stub" in output
    assert "Stuck? `python -m harness hint 01_add` reveals the next hint." in output
    assert output.count("Watching katas/01_add/kata.py") == 2
    assert output.count("-" * 72) == 2, "the screen is cleared (a separator when not a terminal)"
    after_save = output.rsplit("-" * 72, 1)[1]
    assert "✓ 01_add passes" in after_save and "Next: katas/02_greet" in after_save
    assert "Stopped watching" in after_save


# --- interview -----------------------------------------------------------------------------------
def test_interview_picks_an_unsolved_kata_hides_hints_and_reports(fake_repo):
    clock = FakeTime()
    path = fake_repo / "katas" / "03_wait" / "kata.py"
    hint_seen: list[str] = []

    def ask_for_a_hint() -> None:
        hint_seen.append(hint(fake_repo, "03")[1])

    clock.at(clock.now + 30, ask_for_a_hint)
    clock.at(clock.now + 65, lambda: path.write_text(fake.SOLVED["03_wait"]))
    screen: Console

    def keyboard() -> str | None:
        return "done" if "Green at" in screen.out.getvalue() else None

    screen = fake_console(clock, keyboard)
    code = cli.main(
        ["--root", str(fake_repo), "interview", "--level", "intermediate", "--minutes", "10"],
        screen,
    )
    output = screen.out.getvalue()
    assert code == 0, output
    assert "Interview: 03_wait" in output and "No hints during the interview" in output
    assert "5:00 left." not in output, "finished before the five-minute mark"
    assert "Hints are hidden during the interview on 03_wait" in hint_seen[0]
    assert "Green at 1:05" in output
    assert "tests passing   1 of 1" in output
    assert "time to green   1:05 (of 10:00)" in output
    assert "efficiency      " in output and "ideal 0.010 s — " in output and "×" in output
    assert progress.interview_in_progress(fake_repo, time.time()) is None, "the interview is over"
    assert "Hint 1 of 2" in hint(fake_repo, "03")[1], "hints are back"


def hint(root: Path, kata: str) -> tuple[int, str]:
    screen = Console(out=io.StringIO(), env={}, read_line=lambda: None)
    return cli.main(["--root", str(root), "hint", kata], screen), screen.out.getvalue()


def test_an_interview_that_runs_out_of_time_is_not_green(fake_repo):
    clock = FakeTime()
    screen = fake_console(clock, lambda: None)
    add = catalog.load(fake_repo).get("01")
    code = interview.interview_command(
        fake_repo, screen, minutes=6, kata=add, rng=random.Random(1), poll=5
    )
    output = screen.out.getvalue()
    assert code == 1
    assert "5:00 left." in output and "1:00 left." in output and "Time is up." in output
    assert "tests passing   0 of 2" in output and "not green within 6:00" in output
    assert "not measured: the tests do not pass" in output


def test_an_interview_needs_an_unsolved_kata_of_that_level(fake_repo):
    screen = fake_console(FakeTime(), lambda: None)
    code = cli.main(["--root", str(fake_repo), "interview", "--level", "advanced"], screen)
    assert code == 1 and "no unsolved kata at level advanced" in screen.out.getvalue()
