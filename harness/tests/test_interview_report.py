"""The interview's report for the interviewer, and whether the tests were changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness import catalog, integrity, interview, runner
from harness.tests import fake_curriculum as fake
from harness.tests.fake_time import FakeTime, fake_console

pytestmark = pytest.mark.timeout(60)


def saved_report(root: Path) -> tuple[str, dict]:
    [markdown] = sorted((root / ".harness" / "interviews").glob("*.md"))
    document = json.loads(markdown.with_suffix(".json").read_text(encoding="utf-8"))
    return markdown.read_text(encoding="utf-8"), document


def interview_on_add(root: Path, clock: FakeTime, minutes: float = 3) -> tuple[int, str]:
    screen = fake_console(clock, lambda: None)
    kata = catalog.load(root).get("01")
    code = interview.interview_command(root, screen, minutes=minutes, kata=kata, poll=1)
    return code, screen.out.getvalue()


def test_the_report_names_every_failing_test_and_the_run_history_and_is_saved(fake_repo):
    clock = FakeTime()
    path = fake_repo / "katas" / "01_add" / "kata.py"
    clock.at(clock.now + 20, lambda: path.write_text(fake.SYNTAX_ERROR_ADD))
    clock.at(clock.now + 50, lambda: path.write_text(fake.HALF_DONE_ADD))
    code, output = interview_on_add(fake_repo, clock)
    assert code == 1
    report = output[output.index("Interview report") :]
    assert "tests passing   1 of 2" in report
    assert "runs            2: 0:20 0 of 2 · 0:50 1 of 2" in report
    assert "failing tests   1" in report
    assert "test_one_and_one_make_two: await add(1, 1) should give 2" in report
    assert "tests changed   no (compared with the start of the interview)" in report
    assert "Saved for the interviewer: .harness/interviews/" in report
    markdown, document = saved_report(fake_repo)
    assert "- `test_one_and_one_make_two`: await add(1, 1) should give 2" in markdown
    assert "| 0:20 | 0 of 2 | failing |" in markdown and "| 0:50 | 1 of 2 | failing |" in markdown
    assert document["failing"] == [
        {
            "name": "test_one_and_one_make_two",
            "outcome": "failed",
            "what": "await add(1, 1) should give 2",
            "where": None,
        }
    ]
    assert [(r["at"], r["passed"]) for r in document["runs"]] == [(20, 0), (50, 1)]
    assert document["green_after"] is None and document["tests_changed"]["changed"] == []


def test_a_green_interview_reports_the_time_to_green_and_the_bench_ratio(fake_repo):
    clock = FakeTime()
    path = fake_repo / "katas" / "01_add" / "kata.py"
    clock.at(clock.now + 40, lambda: path.write_text(fake.SOLVED["01_add"]))
    code, output = interview_on_add(fake_repo, clock, minutes=1)
    assert code == 0
    assert "time to green   0:40 (of 1:00)" in output and "failing tests   none" in output
    _, document = saved_report(fake_repo)
    assert document["green_after"] == pytest.approx(40, abs=1)
    assert document["efficiency"]["ideal"] == 0.01 and document["efficiency"]["ratio"] > 0


def test_tests_edited_during_the_interview_are_reported_and_judged_as_they_are(fake_repo):
    clock = FakeTime()
    path = fake_repo / "katas" / "01_add" / "kata.py"
    tests = fake_repo / "katas" / "01_add" / "test_kata.py"
    clock.at(clock.now + 10, lambda: path.write_text(fake.HALF_DONE_ADD))  # 1 of 2
    clock.at(clock.now + 30, lambda: tests.write_text(tests.read_text().replace("== 2", "!= 2")))
    code, output = interview_on_add(fake_repo, clock, minutes=1)
    assert "tests changed   YES: katas/01_add/test_kata.py" in output
    assert "tests passing   2 of 2" in output, "the final verdict is on the tests as they are"
    _, document = saved_report(fake_repo)
    assert document["tests_changed"]["changed"] == ["katas/01_add/test_kata.py"]
    assert [r["passed"] for r in document["runs"]] == [1], "the edit of the tests ran nothing"
    assert code == 0


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_in_a_git_checkout_tests_are_compared_with_head_even_when_the_change_is_committed(tmp_path):
    root = fake.build(tmp_path / "repo")
    fake.commit(root)
    kata = catalog.load(root).get("01")
    assert integrity.check(root, kata).describe() == "no (compared with git HEAD)"
    recorded = integrity.fingerprint(root, kata)
    toml = root / "katas" / "katas.toml"
    toml.write_text(toml.read_text().replace("ideal = 0.01", "ideal = 10"))
    dirty = integrity.check(root, kata, recorded)
    assert dirty.changed == ["katas/katas.toml"]
    assert dirty.against == ["git HEAD", "the start of the interview"]
    fake.commit(root, "easier ideal")  # HEAD now agrees: the fingerprint still does not
    committed = integrity.check(root, kata, recorded)
    assert committed.changed == ["katas/katas.toml"]
    assert integrity.check(root, kata).intact, "without a fingerprint, HEAD is all there is"


def test_outside_git_and_without_a_fingerprint_nobody_can_tell(fake_repo):
    kata = catalog.load(fake_repo).get("01")
    verdict = integrity.check(fake_repo, kata)
    assert not verdict.known and not verdict.intact
    assert verdict.describe().startswith("unknown: compared with nothing")
    recorded = integrity.fingerprint(fake_repo, kata)
    (fake_repo / "katas" / "01_add" / "test_kata.py").unlink()
    assert integrity.check(fake_repo, kata, recorded).changed == ["katas/01_add/test_kata.py"]


def test_the_judges_diagnosis_gives_what_went_wrong_and_where(fake_repo):
    kata = catalog.load(fake_repo).get("01")
    run = runner.KataRun(kata)
    run.tests = [
        runner.TestRun("katas/01_add/test_kata.py::test_a", "f", outcome="passed"),
        runner.TestRun(
            "katas/01_add/test_kata.py::test_two_and_three_make_five",
            "f",
            outcome="failed",
            message="the whole message, with what to try",
            diagnosis={"what": "add returned 6", "where": "kata.py:5", "fix": "return a + b"},
        ),
        runner.TestRun(
            "katas/01_add/test_kata.py::test_one_and_one_make_two",
            "f",
            outcome="timeout",
            message="Timeout: the test did not finish in 1 s\nmore lines",
        ),
    ]
    assert interview.failing_tests(run) == [
        {
            "name": "test_two_and_three_make_five",
            "outcome": "failed",
            "what": "add returned 6",
            "where": "kata.py:5",
        },
        {
            "name": "test_one_and_one_make_two",
            "outcome": "timeout",
            "what": "Timeout: the test did not finish in 1 s",
            "where": None,
        },
    ]


def test_a_diagnosis_in_the_judges_report_event_reaches_the_test_run():
    test = runner.TestRun("katas/01_add/test_kata.py::test_a", "f")
    diagnosis = {"what": "ran one at a time", "where": "kata.py:9", "fix": None, "evidence": None}
    runner._add_phase(
        test,
        {
            "when": "call",
            "outcome": "failed",
            "duration": 0.1,
            "message": "ran one at a time",
            "diagnosis": diagnosis,
        },
    )
    assert test.outcome == "failed" and test.diagnosis == diagnosis
    plain = runner.TestRun("katas/01_add/test_kata.py::test_b", "f")
    runner._add_phase(plain, {"when": "call", "outcome": "failed", "message": "no diagnosis"})
    assert plain.diagnosis is None and plain.message == "no diagnosis"


def test_interview_runs_ask_pytest_to_leave_out_what_to_try(fake_repo, monkeypatch):
    seen: list[list[str]] = []
    real = runner.run_katas

    def spy(root, catalog_, katas, args=(), **options):
        seen.append(list(args))
        return real(root, catalog_, katas, args, **options)

    monkeypatch.setattr(runner, "run_katas", spy)
    clock = FakeTime()
    path = fake_repo / "katas" / "01_add" / "kata.py"
    clock.at(clock.now + 10, lambda: path.write_text(fake.HALF_DONE_ADD))
    code, output = interview_on_add(fake_repo, clock, minutes=1)
    assert seen and all("--interview" in args for args in seen), seen
    assert interview.INTERVIEW_PYTEST_ARGS == ("--interview",)
    assert code == 1 and "failing tests   1" in output, "pytest took the option"
