"""Untrusted input never gives a traceback: a damaged .harness/state.json is set aside
with a one-line note, every bad command-line value is a usage error that says what is
valid, and two commands at once never lose each other's updates.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import catalog as catalog_module
from harness import cli, progress, runner, state
from harness.terminal import Console
from harness.tests import fake_curriculum as fake

pytestmark = pytest.mark.timeout(fake.SUBPROCESS_TIMEOUT)


class Screens:
    def __init__(self) -> None:
        self.console = Console(
            out=io.StringIO(), err=io.StringIO(), env={}, read_line=lambda: None, now=time.time
        )

    @property
    def out(self) -> str:
        return self.console.out.getvalue()

    @property
    def err(self) -> str:
        return self.console.err.getvalue()


def harness(root: Path, *args: str) -> tuple[int, Screens]:
    screens = Screens()
    return cli.main(["--root", str(root), *args], screens.console), screens


# --- damaged state files ----------------------------------------------------------------------
def document(**sections: object) -> bytes:
    return json.dumps({"version": 1, **sections}).encode()


def result(**changes: object) -> dict:
    entry = {
        "key": "0" * 64,
        "state": "failing",
        "passed": 1,
        "total": 2,
        "message": "",
        "tests": [
            {"name": n, "outcome": o, "seconds": 0.1, "call_seconds": 0.1, "workload": False,
             "message": ""}
            for n, o in (("one", "passed"), ("two", "failed"))
        ],
    }
    return {**entry, **changes}


NOW = time.time()
# (what the file holds, words the note must say). Whole files first, then single entries.
BAD_STATES = {
    "binary garbage": (b"\xff\xfe\x00\x81garbage\x00" * 20, "it is not UTF-8 text"),
    "not json": (b"{ not json", "it is not JSON"),
    "empty file": (b"", "it is not JSON"),
    "a json list": (b"[1, 2]", "it holds a list, not a JSON object"),
    "json null": (b"null", "it holds null, not a JSON object"),
    "another version": (document(version=2), "another version of the harness (version 2)"),
    "no version": (b"{}", "it has no version number"),
    "nested too deeply": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "far too big": (b" " * (state.LARGEST_FILE + 1), "far more than a cache needs"),
    "interview ends soon": (
        document(interview={"kata": "01_add", "started_at": NOW, "ends_at": "soon"}),
        "interview (ends_at 'soon' is not a time)",
    ),
    "interview ends at infinity": (
        b'{"version": 1, "interview": {"kata": "01_add", "started_at": 1, "ends_at": Infinity}}',
        "interview (ends_at inf is not a time)",
    ),
    "interview ends at nan": (
        b'{"version": 1, "interview": {"kata": "01_add", "started_at": 1, "ends_at": NaN}}',
        "interview (ends_at nan is not a time)",
    ),
    "interview for a week": (
        document(interview={"kata": "01_add", "started_at": NOW, "ends_at": NOW + 7 * 86400}),
        "interview (it lasts 604800 s",
    ),
    "interview is a word": (document(interview="yes"), "interview ('yes' is not a JSON object)"),
    "interview without kata": (
        document(interview={"started_at": NOW, "ends_at": NOW + 60}),
        "interview (kata null is not a kata's name)",
    ),
    "hint count 1e400": (
        b'{"version": 1, "hints": {"01_add": 1e400}}',
        "hints.01_add (inf is not a whole number of hints from 0 to 1000)",
    ),
    "hint count as text": (document(hints={"01_add": "3"}), "hints.01_add ('3' is not a whole"),
    "negative hint count": (document(hints={"01_add": -5}), "hints.01_add (-5 is not a whole"),
    "hint count true": (document(hints={"01_add": True}), "hints.01_add (true is not a whole"),
    "hint count 2.5": (document(hints={"01_add": 2.5}), "hints.01_add (2.5 is not a whole"),
    "hints as a list": (document(hints=[1, 2]), "hints ([1, 2] is not a JSON object)"),
    "unknown state word": (
        document(results={"01_add": result(state="exploded")}),
        "results.01_add (state 'exploded' is not one of passed, failing",
    ),
    "count as text": (
        document(results={"01_add": result(passed="two")}),
        "results.01_add ('two' of 2 tests passed is not a count)",
    ),
    "more passed than run": (
        document(results={"01_add": result(passed=7)}),
        "results.01_add (7 of 2 tests passed is not a count)",
    ),
    "tests as a word": (
        document(results={"01_add": result(tests="many")}),
        "results.01_add (tests 'many' is not a list of 2 tests)",
    ),
    "a test with no time": (
        document(results={"01_add": result(tests=[*result()["tests"][:1], {"name": "two"}])}),
        "results.01_add (test 'two' has no name or message)",
    ),
    "a test duration of infinity": (
        json.dumps({"version": 1, "results": {"01_add": result(tests=[
            {**t, "seconds": float("inf")} for t in result()["tests"]
        ])}}).encode(),
        "results.01_add (test one has a duration that is not a number of seconds)",
    ),
    "results as text": (document(results="x"), "results ('x' is not a JSON object)"),
    "a result that is a number": (
        document(results={"01_add": 5}),
        "results.01_add (5 is not a test result)",
    ),
    "a key that is no hash": (
        document(results={"01_add": result(key=None)}),
        "results.01_add (key null is not a content hash)",
    ),
}


@pytest.mark.parametrize("case", BAD_STATES, ids=list(BAD_STATES))
def test_a_damaged_state_file_is_set_aside_with_a_one_line_note_and_hint_still_works(
    fake_repo, case
):
    content, words = BAD_STATES[case]
    path = state.state_path(fake_repo)
    path.write_bytes(content)
    code, screens = harness(fake_repo, "hint", "01")
    assert code == 0 and "Hint 1 of 3 for 01_add" in screens.out, screens.out + screens.err
    note = screens.err
    assert note.startswith("note: .harness/state.json ") and note.count("\n") == 1, note
    assert words in note, note
    assert "set aside as .harness/state.json.bad" in note, note
    assert "Traceback" not in screens.out + screens.err
    assert path.with_name(state.SET_ASIDE).read_bytes() == content, "the file as it was is kept"
    assert not state.load(fake_repo).damaged, "the file written back is sound"
    assert state.load(fake_repo).section("hints") == {"01_add": 1}
    code, screens = harness(fake_repo, "hint", "01")
    assert screens.err == "" and "Hint 2 of 3" in screens.out, "the note comes once"


def test_a_bad_entry_costs_only_itself(fake_repo):
    path = state.state_path(fake_repo)
    saved = json.loads(path.read_text())
    saved["hints"] = {"01_add": 1e400, "02_greet": 1}
    saved["results"]["02_greet"]["state"] = "exploded"
    path.write_text(json.dumps(saved))
    code, screens = harness(fake_repo)
    assert code == 0
    assert "2 bad entries: results.02_greet (state 'exploded'" in screens.err
    assert "hints.01_add (inf is not" in screens.err and screens.err.count("\n") == 1
    assert "not started (0 of 2)" in screens.out.split("02_greet", 1)[1].splitlines()[0]
    kept = state.load(fake_repo)
    assert kept.section("hints") == {"02_greet": 1}, "the good hint count is kept"
    assert kept.section("results")["01_add"] == saved["results"]["01_add"]
    assert progress.refresh(fake_repo).ran == [], "02's result is cached again"


@pytest.mark.parametrize(
    "problem", ["state.json is a folder", ".harness is a file", ".bad is a folder"]
)
def test_a_state_that_cannot_be_written_is_noted_and_the_commands_still_work(tmp_path, problem):
    root = fake.build(tmp_path / "repo")
    harness_dir = root / ".harness"
    if problem == ".harness is a file":
        harness_dir.write_text("not a folder")
    else:
        harness_dir.mkdir()
        state.state_path(root).write_text("{ not json")
        folder = {"state.json is a folder": "state.json", ".bad is a folder": "state.json.bad"}
        (harness_dir / folder[problem]).unlink(missing_ok=True)
        (harness_dir / folder[problem] / "inside").mkdir(parents=True)
    code, screens = harness(root, "hint", "02")
    assert code == 0 and "Hint 1 of 2 for 02_greet" in screens.out, screens.err
    assert "Traceback" not in screens.err and screens.err.count("\n") <= 1, screens.err
    code, screens = harness(root, "--json")
    assert code == 0 and json.loads(screens.out)["total"] == 4


def test_interview_minutes_inf_was_saved_as_infinity_and_broke_hint_and_now_cannot_be(fake_repo):
    path = state.state_path(fake_repo)
    path.write_bytes(
        b'{"version": 1, "interview": {"kata": "01_add", "started_at": 1e9, "ends_at": Infinity}}'
    )
    assert harness(fake_repo, "hint", "01")[0] == 0
    assert progress.interview_in_progress(fake_repo, time.time()) is None
    with pytest.raises(ValueError):  # never written: strict JSON has no Infinity
        state.State(fake_repo, {"interview": {"ends_at": float("inf")}}).text()


# --- concurrent commands --------------------------------------------------------------------
def test_a_hint_revealed_while_status_runs_the_tests_is_kept(fake_repo, monkeypatch):
    fake.write(fake_repo, "01_add", fake.SOLVED["01_add"])
    run_katas = runner.run_katas
    hints_during_the_run = []

    def run_katas_and_ask_for_a_hint(*args, **kwargs):
        hints_during_the_run.append(harness(fake_repo, "hint", "02")[1].out)
        return run_katas(*args, **kwargs)

    monkeypatch.setattr(runner, "run_katas", run_katas_and_ask_for_a_hint)
    code, screens = harness(fake_repo)
    assert code == 0 and "passed (2 of 2)" in screens.out
    assert "Hint 1 of 2 for 02_greet" in hints_during_the_run[0]
    saved = state.load(fake_repo)
    assert saved.section("hints") == {"02_greet": 1}, "the hint count survived status's write"
    assert saved.section("results")["01_add"]["state"] == "passed"


UPDATER = """
import sys
from pathlib import Path
from harness import state

def bump(saved):
    hints = saved.section("hints")
    hints["count"] = hints.get("count", 0) + 1

for _ in range({times}):
    assert state.update(Path(sys.argv[1]), bump)
"""


def test_two_processes_updating_the_state_at_once_lose_nothing(tmp_path):
    times = 60
    script = UPDATER.format(times=times)
    writers = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=catalog_module.ROOT)
        for _ in range(2)
    ]
    for writer in writers:
        assert writer.wait(timeout=60) == 0
    assert state.load(tmp_path).section("hints") == {"count": 2 * times}


# --- bad command-line values ------------------------------------------------------------------
BAD_ARGUMENTS = {
    "poll nan": (["watch", "--poll", "nan"], "seconds from 0.01 to 60"),
    "poll inf": (["watch", "--poll", "inf"], "seconds from 0.01 to 60"),
    "poll 1e400": (["watch", "--poll", "1e400"], "seconds from 0.01 to 60"),
    "poll negative": (["watch", "--poll", "-1"], "seconds from 0.01 to 60"),
    "poll zero": (["watch", "--poll", "0"], "seconds from 0.01 to 60"),
    "poll a busy loop": (["watch", "--poll", "1e-9"], "seconds from 0.01 to 60"),
    "poll in hex": (["watch", "--poll", "0x10"], "seconds from 0.01 to 60"),
    "poll a word": (["watch", "--poll", "fast"], "such as 0.5"),
    "dojo minutes nan": (["dojo", "01", "--minutes", "nan"], "minutes from 0.05 to 240"),
    "dojo minutes inf": (["dojo", "01", "--minutes", "inf"], "minutes from 0.05 to 240"),
    "dojo minutes zero": (["dojo", "01", "--minutes", "0"], "minutes from 0.05 to 240"),
    "dojo minutes negative": (["dojo", "01", "--minutes", "-3"], "minutes from 0.05 to 240"),
    "dojo turns zero": (["dojo", "01", "--turns", "0"], "whole number of turns from 1 to 1000"),
    "dojo turns 2.5": (["dojo", "01", "--turns", "2.5"], "whole number of turns from 1 to 1000"),
    "interview minutes inf": (["interview", "--minutes", "inf"], "minutes more than 0 to 1440"),
    "interview minutes nan": (["interview", "--minutes", "nan"], "minutes more than 0 to 1440"),
    "interview minutes 1e400": (["interview", "--minutes", "1e400"], "more than 0 to 1440"),
    "interview minutes zero": (["interview", "--minutes", "0"], "minutes more than 0 to 1440"),
    "interview minutes negative": (["interview", "--minutes", "-30"], "more than 0 to 1440"),
    "interview for a week": (["interview", "--minutes", "10080"], "more than 0 to 1440"),
    "interview level": (["interview", "--level", "expert"], "invalid choice: 'expert'"),
    "bench repeat zero": (["bench", "--repeat", "0"], "whole number of runs from 1 to 100"),
    "bench repeat negative": (["bench", "--repeat", "-1"], "whole number of runs from 1 to 100"),
    "bench repeat huge": (["bench", "--repeat", "10000000000"], "runs from 1 to 100"),
    "unknown kata": (["run", "nope"], "unknown kata 'nope'. Valid names: 01_add"),
    "kata zero": (["run", "0"], "unknown kata '0'"),
    "kata 99": (["hint", "99"], "unknown kata '99'"),
    "empty kata": (["reset", ""], "unknown kata ''"),
    "kata 1e400": (["run", "1e400"], "unknown kata '1e400'"),
    "kata outside": (["solution", "../../etc/passwd"], "unknown kata '../../etc/passwd'"),
    "unknown command": (["frobnicate"], "unknown command 'frobnicate'. Commands: status, run"),
    "a stray word": (["status", "extra"], "unrecognized arguments: extra"),
    "reset with no kata": (["reset"], "the following arguments are required: kata"),
    "root missing": (["--root", "/no/such/folder"], "there is no katas/katas.toml in"),
    "root with a nul": (["--root", "bad\0root"], "there is no katas/katas.toml in"),
}


@pytest.mark.parametrize("case", BAD_ARGUMENTS, ids=list(BAD_ARGUMENTS))
def test_a_bad_command_line_value_is_a_usage_error_that_says_what_is_valid(
    fake_template, case, capsys
):
    args, words = BAD_ARGUMENTS[case]
    root = [] if "--root" in args else ["--root", str(fake_template)]
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*root, *args], Screens().console)
    error = capsys.readouterr().err
    assert exit_info.value.code == 2, error
    assert words in error and "usage: python -m harness" in error, error
    assert "Traceback" not in error


def test_a_damaged_catalog_is_a_usage_error(tmp_path, capsys):
    root = fake.build(tmp_path / "repo")
    (root / "katas" / "katas.toml").write_bytes(b"kata = 5\n")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--root", str(root)], Screens().console)
    error = capsys.readouterr().err
    assert exit_info.value.code == 2 and "katas/katas.toml cannot be read" in error
