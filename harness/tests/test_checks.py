"""The author-side checks' own helpers (harness/checks.py)."""

import subprocess
import time
from pathlib import Path

import pytest

from harness import checks
from harness.prefork import KILLED, Prefork


def test_a_run_that_never_exits_is_reported_as_killed_not_raised(tmp_path: Path):
    """One stuck pytest process fails its own check instead of every check."""
    never_ending = tmp_path / "test_forever.py"
    never_ending.write_text("import time\n\ndef test_forever():\n    time.sleep(60)\n")
    run = checks.run_pytest(tmp_path, "-c", "/dev/null", str(never_ending), timeout=2)
    assert run.returncode == checks.TIMED_OUT, f"expected a killed run, got {run}"
    assert "did not exit within 2 s and was killed" in run.output, run.output


def test_a_mistake_names_the_line_marked_as_the_mistake(tmp_path: Path):
    """{line} in MISTAKE becomes the number of the one line marked `# <- mistake`."""
    variant = tmp_path / "wrong_sleep.py"
    variant.write_text(
        'MISTAKE = "blocked by time.sleep at wrong_sleep.py:{line}"\n\n'
        "async def brew():\n    time.sleep(1)  # <- mistake\n"
    )
    assert checks.expected_mistake(variant) == ("blocked by time.sleep at wrong_sleep.py:4",)


def test_a_mistake_may_name_several_texts_that_must_all_appear(tmp_path: Path):
    """A tuple names the diagnosis and the learner's line, which the report prints apart."""
    variant = tmp_path / "wrong_sleep.py"
    variant.write_text(
        'MISTAKE = ("blocked by time.sleep", "wrong_sleep.py:{line} in brew()")\n\n'
        "async def brew():\n    time.sleep(1)  # <- mistake\n"
    )
    assert checks.expected_mistake(variant) == ("blocked by time.sleep", "wrong_sleep.py:4 in brew()")


def test_a_mistake_with_line_but_no_marked_line_is_refused(tmp_path: Path):
    """Without exactly one marked line, {line} cannot be resolved: the check says so."""
    variant = tmp_path / "wrong_sleep.py"
    variant.write_text('MISTAKE = "at wrong_sleep.py:{line}"\n')
    assert checks.expected_mistake(variant) is None


REPORT = """\
============================= test session starts ==============================
collected 3 items

katas/02_gather/test_kata.py .FF                                         [100%]

=================================== FAILURES ===================================
__________________ eight dishes are ordered at the same time ___________________
your 8 requests ran one at a time: 0.81 s (together they take ≈ 0.10 s).
    GET /dishes/coffee   |████                          | 0.00–0.10 s
Try: start them all, then await them together.
__________________ dishes come back in menu order ___________________
same as above: your 8 requests ran one at a time.
pytest's own traceback of these failures: add --tb=long
========================= 2 failed, 1 passed in 0.99s ==========================
"""


def test_each_failing_test_is_measured_from_its_headline_to_the_next():
    """The line budget counts a failing test's headline and its diagnosis, nothing else."""
    sections = checks.failure_sections(REPORT)
    assert [len(section) for section in sections] == [4, 2], sections
    assert checks.report_problems(REPORT) == []


def test_a_long_test_name_padded_with_one_underscore_still_starts_its_own_section():
    """pytest pads a long headline with a single '_' each side: it still starts a section."""
    name = "step 10 nothing is lost when the queue's process is killed and a new queue starts"
    report = f"_ {name} _\nthe new queue never found job 4\n_____ step 2 jobs are leased _____\nno lease\n"
    assert [len(section) for section in checks.failure_sections(report)] == [2, 2]


def test_text_after_the_summary_line_is_a_problem():
    """An unraisable-exception flood after the summary is what the rule forbids."""
    flooded = REPORT + "Exception ignored in: <coroutine object brew at 0x1>\n"
    assert checks.after_summary(flooded) == ["Exception ignored in: <coroutine object brew at 0x1>"]
    quiet = REPORT.replace("=" * 25 + " 2 failed", "2 failed").replace(" " + "=" * 26, "")
    assert checks.after_summary(quiet) == [], "pytest -q's summary line counts too"


def test_a_section_over_the_budget_and_library_frames_are_problems():
    """Twenty-one lines for one test, or a frame from site-packages, break the rules."""
    long_section = "\n".join(f"line {n}" for n in range(21))
    report = REPORT.replace("Try: start", long_section + "\nTry: start").replace(
        "same as above", '  File "/x/site-packages/aiohttp/client.py", line 1'
    )
    problems = checks.report_problems(report)
    assert any("takes 25 lines" in p for p in problems), problems
    assert any("library frames" in p for p in problems), problems


def test_a_deprecated_asyncio_name_is_found_except_on_a_wrong_variants_marked_line(tmp_path: Path):
    """3.14's deprecations are reported with their replacement; a mistake may show them."""
    deprecated = "asyncio." + "iscoroutinefunction"  # spelled apart: this file is scanned too
    (tmp_path / "katas").mkdir()
    (tmp_path / "katas" / "test_x.py").write_text(f"assert {deprecated}(f)\n")
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "wrong_x.py").write_text(f"ok = {deprecated}(f)  # <- mistake\n")
    found = checks.deprecated_names(tmp_path)
    assert found == [f"katas/test_x.py:1: {deprecated} (use inspect.iscoroutinefunction)"], found


@pytest.mark.skipif(not Prefork.available(), reason="the warm pytest server forks (POSIX only)")
@pytest.mark.timeout(60)
def test_the_warm_server_runs_each_job_as_its_own_pytest_session(tmp_path: Path):
    """Exit codes and output are a plain pytest's; a job that never ends is killed, group and all."""
    (tmp_path / "test_green.py").write_text("def test_green():\n    print('hello')\n")
    (tmp_path / "test_red.py").write_text("def test_red():\n    assert 1 == 2, 'one is not two'\n")
    (tmp_path / "test_stuck.py").write_text(
        "import subprocess, time\n\ndef test_stuck():\n"
        "    subprocess.Popen(['sleep', '1000'])\n    time.sleep(60)\n"
    )
    warm = Prefork(tmp_path, checks._environment())
    try:
        green = warm.run(tmp_path, ["-c", "/dev/null", "test_green.py"], tmp_path / "g.txt", 30)
        red = warm.run(tmp_path, ["-c", "/dev/null", "test_red.py"], tmp_path / "r.txt", 30)
        stuck = warm.run(tmp_path, ["-c", "/dev/null", "-p", "no:timeout", "test_stuck.py"], tmp_path / "s.txt", 3)
    finally:
        warm.close()
    assert green[0] == 0 and "1 passed" in (tmp_path / "g.txt").read_text()
    assert red[0] == 1 and "one is not two" in (tmp_path / "r.txt").read_text()
    assert stuck[0] == KILLED, stuck
    time.sleep(0.2)
    leftovers = subprocess.run(["pgrep", "-f", "sleep 1000"], capture_output=True, text=True).stdout
    assert not leftovers.strip(), f"the stuck job's child was left running: {leftovers}"
