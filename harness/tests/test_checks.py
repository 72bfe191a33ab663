"""The author-side checks' own helpers (harness/checks.py)."""

from pathlib import Path

from harness import checks


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
    assert checks.expected_mistake(variant) == "blocked by time.sleep at wrong_sleep.py:4"


def test_a_mistake_with_line_but_no_marked_line_is_refused(tmp_path: Path):
    """Without exactly one marked line, {line} cannot be resolved: the check says so."""
    variant = tmp_path / "wrong_sleep.py"
    variant.write_text('MISTAKE = "at wrong_sleep.py:{line}"\n')
    assert checks.expected_mistake(variant) is None
