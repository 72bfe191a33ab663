"""`python -m harness`, driven on a fake curriculum (harness/tests/fake_curriculum.py).

The commands run the real pytest plugin in subprocesses, so every scenario a learner
meets is real: a fresh checkout, a solved kata, a hang, a crash, a syntax error.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness import catalog as catalog_module
from harness import cli, progress, state, stubs
from harness.terminal import Console
from harness.tests import fake_curriculum as fake

pytestmark = pytest.mark.timeout(fake.SUBPROCESS_TIMEOUT)


class Screen(io.StringIO):
    """A stream that may claim to be a terminal."""

    def __init__(self, tty: bool = False) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def no_question(prompt: str) -> str:
    raise AssertionError(f"nothing should be asked, but was asked: {prompt}")


def console(tty: bool = False, env: dict[str, str] | None = None, answer=no_question) -> Console:
    return Console(out=Screen(tty), err=Screen(), env=env or {}, read_line=lambda: None, ask=answer)


def harness(root: Path, *args: str, screen: Console | None = None) -> tuple[int, str]:
    """Run the CLI on ``root``; return its exit code and what it printed."""
    screen = screen or console()
    code = cli.main(["--root", str(root), *args], screen)
    return code, screen.out.getvalue()


def line_of(output: str, kata: str) -> str:
    return next(line for line in output.splitlines() if f" {kata} " in line)


# --- status ----------------------------------------------------------------------------------
def test_a_fresh_checkout_shows_every_kata_not_started_and_the_first_as_next(fake_template):
    # fake_template is a fresh checkout on which `python -m harness` has just run.
    output = fake_template.joinpath("status.txt").read_text(encoding="utf-8")
    assert "0 of 4 pass" in output and "0/4" in output
    for name in ("01_add", "02_greet", "03_wait"):
        assert "not started" in line_of(output, name), output
    assert "missing" in line_of(output, "04_later") and "katas/04_later does not exist" in output
    assert "Next: katas/01_add — run `pytest katas/01_add`" in output
    assert "Hint: First nudge: the sum is a + b." in output
    assert "Second:" not in output, "status shows the first hint only"


def test_solving_a_kata_runs_only_that_kata_then_run_shows_the_tick_and_the_solution_opens(
    fake_repo,
):
    assert progress.refresh(fake_repo).ran == [], "nothing changed: nothing runs"
    fake.write(fake_repo, "01_add", fake.SOLVED["01_add"])
    assert progress.refresh(fake_repo).ran == ["01_add"], "only the changed kata runs"
    _, output = harness(fake_repo, "status")
    assert "1 of 4 pass" in output and "1/4" in output
    assert "passed (2 of 2)" in line_of(output, "01_add")
    assert "Next: katas/02_greet" in output and "Hint: Greet by name." in output
    code, output = harness(fake_repo, "run", "add")
    assert code == 0
    assert "2 passed" in output, "pytest's own output is shown"
    assert "✓ 01_add passes" in output
    assert "solutions/01_add/kata.py" in output
    assert "Next: katas/02_greet" in output
    code, opened = harness(fake_repo, "solution", "01")
    assert code == 0 and "Warning" not in opened and "return a + b" in opened


def test_a_failing_a_crashing_and_a_hanging_kata_each_report_their_own_state(fake_repo):
    fake.write(fake_repo, "01_add", fake.HALF_DONE_ADD)
    fake.write(fake_repo, "02_greet", fake.CRASHING_GREET)
    fake.write(fake_repo, "03_wait", fake.HANGING_WAIT)
    code, output = harness(fake_repo)
    assert code == 0
    add, greet, wait = (line_of(output, name) for name in ("01_add", "02_greet", "03_wait"))
    assert "failing (1 of 2)" in add and "await add(1, 1) should give 2" in add
    assert "crashed" in greet and "died while running test_ana_is_greeted (exit code 3)" in greet
    assert "hangs (0 of 1)" in wait and "did not finish" in wait, "the kata after the crash still ran"
    assert "Next: katas/01_add" in output
    cached = progress.refresh(fake_repo)
    assert cached.ran == [] and cached.get("02_greet").state == "crashed", "results are cached"


def test_a_syntax_error_a_broken_test_file_and_an_unstoppable_test_are_each_reported(fake_repo):
    fake.write(fake_repo, "01_add", fake.SYNTAX_ERROR_ADD)
    tests = fake_repo / "katas" / "02_greet" / "test_kata.py"
    tests.write_text("import no_such_module\n" + tests.read_text())
    fake.write(fake_repo, "03_wait", fake.UNSTOPPABLE_WAIT)
    result = progress.refresh(fake_repo, idle_limit=2.0)  # wide: never a false kill
    add, greet, wait = (result.get(name) for name in ("01_add", "02_greet", "03_wait"))
    assert (add.state, add.passed, add.total) == ("failing", 0, 2)
    assert "kata.py has a syntax error on line 4" in add.message
    assert greet.state == "error" and "No module named 'no_such_module'" in greet.message
    assert wait.state == "timeout", wait
    assert "would not stop" in wait.message and "test_the_signal_arrives" in wait.message


def test_status_json_has_one_object_per_kata(fake_repo):
    code, output = harness(fake_repo, "--json")
    document = json.loads(output)
    assert code == 0
    assert [k["name"] for k in document["katas"]] == ["01_add", "02_greet", "03_wait", "04_later"]
    for entry in document["katas"]:
        assert {"number", "slug", "title", "state", "passed", "total"} <= set(entry)
    assert document["katas"][0] == {
        **document["katas"][0],
        "number": 1,
        "slug": "add",
        "state": "not_started",
        "passed": 0,
        "total": 2,
    }
    assert document["katas"][3]["state"] == "missing"
    assert document["next"] == "01_add" and document["passed"] == 0 and document["total"] == 4


def test_colour_only_on_a_terminal_and_never_with_no_color(fake_repo):
    _, coloured = harness(fake_repo, screen=console(tty=True))
    _, no_color = harness(fake_repo, screen=console(tty=True, env={"NO_COLOR": "1"}))
    _, piped = harness(fake_repo, screen=console(tty=False))
    assert "\x1b[" in coloured
    assert "\x1b[" not in no_color and "\x1b[" not in piped


def test_the_state_file_says_do_not_edit_and_losing_it_loses_only_the_cache(fake_repo):
    path = state.state_path(fake_repo)
    assert "DO NOT EDIT" in json.loads(path.read_text())["_"]
    path.write_text("{ not json")  # as good as deleted
    screen = console()
    code, output = harness(fake_repo, screen=screen)
    note = screen.err.getvalue()
    assert code == 0 and "note: .harness/state.json could not be used (it is not JSON" in note
    assert "set aside as .harness/state.json.bad" in note and note.count("\n") == 1
    assert path.with_name("state.json.bad").read_text() == "{ not json"
    assert "not started" in line_of(output, "01_add")
    assert json.loads(path.read_text())["results"]["01_add"]["state"] == "not_started"
    assert progress.refresh(fake_repo).ran == [], "the cache is back"


# --- run ---------------------------------------------------------------------------------------
def test_a_missing_kata_is_not_run(fake_repo):
    code, output = harness(fake_repo, "run", "04")
    assert code == 1 and "04_later cannot run yet: katas/04_later does not exist yet" in output


def test_an_unknown_kata_is_a_usage_error_listing_the_valid_names(fake_repo, capsys):
    with pytest.raises(SystemExit) as exit_info:
        harness(fake_repo, "run", "nope")
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "unknown kata 'nope'" in error
    assert "01_add, 02_greet, 03_wait, 04_later" in error


@pytest.mark.parametrize("command", ["", *cli.COMMANDS])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*([command] if command else []), "--help"], console())
    assert exit_info.value.code == 0
    shown = capsys.readouterr().out
    assert "usage: python -m harness" in shown and "--root" not in shown


# --- hint --------------------------------------------------------------------------------------
def test_hints_are_revealed_one_level_per_call(fake_repo):
    _, first = harness(fake_repo, "hint", "01")
    assert "Hint 1 of 3" in first and "First nudge" in first and "Second" not in first
    assert "2 more: run `python -m harness hint 01_add` again." in first
    _, second = harness(fake_repo, "hint", "01")
    assert "Earlier hints" in second and "Hint 2 of 3" in second and "Last:" not in second
    assert "1 more" in second
    _, third = harness(fake_repo, "hint", "01")
    assert "Hint 3 of 3" in third and "That was the last hint" in third
    _, again = harness(fake_repo, "hint", "01")
    assert "Hint 3 of 3" in again
    _, other = harness(fake_repo, "hint")
    assert "Hint 1 of 3 for 01_add" not in other and "Hint 3 of 3 for 01_add" in other, (
        "with no kata, hint is for the next kata, whose level is remembered"
    )


# --- solution ----------------------------------------------------------------------------------
def test_the_solution_is_locked_until_the_kata_passes_unless_forced(fake_repo):
    code, locked = harness(fake_repo, "solution", "01")
    assert code == 1
    assert "opens once your kata passes" in locked and "return a + b" not in locked
    assert "--force" in locked
    code, forced = harness(fake_repo, "solution", "01", "--force")
    assert code == 0 and "Warning" in forced and "return a + b" in forced


# --- reset -------------------------------------------------------------------------------------
def backups(root: Path) -> list[Path]:
    return sorted((root / ".harness" / "backups").rglob("*.py"))


def test_reset_asks_then_backs_up_the_learners_file_and_restores_the_stub(fake_repo):
    path = fake.write(fake_repo, "01_add", fake.HALF_DONE_ADD)
    questions = []
    screen = console(answer=lambda prompt: questions.append(prompt) or "y")
    code, output = harness(fake_repo, "reset", "01", screen=screen)
    assert code == 0 and len(questions) == 1 and "katas/01_add/kata.py" in questions[0]
    assert path.read_text() == fake.STUBS["01_add"]
    [saved] = backups(fake_repo)
    assert saved.read_text() == fake.HALF_DONE_ADD
    assert saved.relative_to(fake_repo).as_posix() in output


@pytest.mark.parametrize("answer", ["n", "", EOFError])
def test_reset_without_a_yes_changes_nothing(fake_repo, answer):
    path = fake.write(fake_repo, "01_add", fake.HALF_DONE_ADD)

    def reply(prompt: str) -> str:
        if answer is EOFError:
            raise EOFError
        return answer

    code, output = harness(fake_repo, "reset", "01", screen=console(answer=reply))
    assert code == 1 and "Nothing changed" in output and "--yes" in output
    assert path.read_text() == fake.HALF_DONE_ADD and backups(fake_repo) == []


def test_reset_yes_skips_the_question_and_two_resets_keep_two_backups(fake_repo):
    path = fake.write(fake_repo, "01_add", fake.HALF_DONE_ADD)
    assert harness(fake_repo, "reset", "add", "--yes")[0] == 0
    fake.write(fake_repo, "01_add", fake.SYNTAX_ERROR_ADD)
    assert harness(fake_repo, "reset", "add", "--yes")[0] == 0
    assert path.read_text() == fake.STUBS["01_add"]
    assert sorted(p.read_text() for p in backups(fake_repo)) == sorted(
        [fake.HALF_DONE_ADD, fake.SYNTAX_ERROR_ADD]
    )
    code, output = harness(fake_repo, "reset", "add", "--yes")
    assert code == 0 and "already the original stub" in output


def test_reset_restores_a_deleted_kata_file(fake_repo):
    path = fake_repo / "katas" / "01_add" / "kata.py"
    path.unlink()
    code, output = harness(fake_repo, "reset", "01", "--yes")
    assert code == 0 and path.read_text() == fake.STUBS["01_add"] and "was missing" in output


def test_reset_without_git_or_a_snapshot_refuses_and_keeps_the_file(fake_repo):
    shutil.rmtree(fake_repo / ".harness" / "stubs")
    path = fake.write(fake_repo, "01_add", fake.HALF_DONE_ADD)
    code, output = harness(fake_repo, "reset", "01", "--yes")
    assert code == 1 and "no copy of the original stub" in output
    assert path.read_text() == fake.HALF_DONE_ADD


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_in_a_git_checkout_the_stub_comes_from_head(tmp_path):
    root = fake.build(tmp_path / "repo")
    fake.commit(root)
    path = fake.write(root, "01_add", fake.HALF_DONE_ADD)
    catalog = catalog_module.load(root)
    assert stubs.pristine(root, catalog)["01_add"] == fake.STUBS["01_add"].encode()
    assert not (root / ".harness" / "stubs" / "01_add").exists(), "no snapshot of an edited file"
    assert harness(root, "reset", "01", "--yes")[0] == 0
    assert path.read_text() == fake.STUBS["01_add"]
    # A learner who commits a solved kata: HEAD is no stub any more, so it is not used.
    fake.write(root, "02_greet", fake.SOLVED["02_greet"])
    fake.commit(root, "my answer")
    found = stubs.pristine(root, catalog)
    assert found.get("02_greet") == fake.STUBS["02_greet"].encode(), "the snapshot serves instead"


def test_python_dash_m_harness_runs_the_cli(fake_repo):
    done = subprocess.run(
        [sys.executable, "-m", "harness", "--root", str(fake_repo), "--json"],
        capture_output=True,
        text=True,
        cwd=catalog_module.ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"] == 4
