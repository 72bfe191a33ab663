"""The repository's own checks: every kata is complete, every stub is red, every known
mistake is rejected with the diagnosis a learner should see — in a short report — and
every accepted variant passes.

The solutions themselves are proven by `pytest --solutions`, which runs every kata's
unchanged tests against solutions/.
"""

from pathlib import Path

import pytest

from harness import catalog, checks, readme, stubs

CATALOG = catalog.load()
WRONG = [(kata, variant) for kata in CATALOG for variant in kata.wrong_variants]
RIGHT = [(kata, variant) for kata in CATALOG for variant in kata.right_variants]
# The session fixture below runs every variant and stub in subprocesses (each bounded by
# its own 5 s-per-test timeout and a 60 s cap), so the first test to use it needs longer.
pytestmark = pytest.mark.timeout(60 + 30 * (len(WRONG) + len(RIGHT) + len(CATALOG)))


def _id(kata, variant: Path) -> str:
    return f"{kata.name}/{variant.stem}"


def test_the_catalog_is_consistent():
    """Numbers and slugs are unique and ordered; each kata has concepts and two hints."""
    problems = catalog.problems(CATALOG)
    assert not problems, "katas/katas.toml:\n  " + "\n  ".join(problems)


def test_every_kata_has_a_lesson_a_stub_tests_a_solution_and_known_mistakes():
    """Each kata folder is complete and katas/ and solutions/ mirror the catalog."""
    problems = checks.structure_problems(CATALOG)
    assert not problems, "the curriculum is incomplete:\n  " + "\n  ".join(problems)


def test_the_readme_kata_table_matches_the_catalog():
    """README's table is generated from katas.toml: run `python -m harness.readme`."""
    text = (CATALOG.root / "README.md").read_text(encoding="utf-8")
    assert readme.with_table(text, CATALOG) == text, (
        "README.md's kata table is out of date: run `python -m harness.readme`"
    )


def test_no_file_uses_a_name_python_3_14_deprecates():
    """Katas, solutions, lessons and the harness teach and use what 3.14 keeps."""
    found = checks.deprecated_names(CATALOG.root)
    assert not found, "names Python 3.14 deprecates:\n  " + "\n  ".join(found)


@pytest.fixture(scope="session")
def curriculum_runs(request) -> dict[tuple[str, str], checks.Run]:
    """The selected variants and untouched stubs, run exactly as a learner would run them."""
    selected = {item.callspec.id for item in request.session.items if hasattr(item, "callspec")}
    jobs = {}
    for kata, variant in WRONG + RIGHT:
        if _id(kata, variant) in selected:
            jobs[kata.name, variant.name] = [
                kata.relative(kata.dir), "--impl", kata.relative(variant)
            ]
    for kata in CATALOG:
        if kata.name in selected and kata.stub.is_file() and stubs.looks_like_stub(kata.stub.read_bytes()):
            jobs[kata.name, "kata.py"] = [kata.relative(kata.dir)]
    return checks.run_all(CATALOG.root, jobs)


@pytest.mark.parametrize(("kata", "variant"), WRONG, ids=[_id(k, v) for k, v in WRONG])
def test_each_known_mistake_is_rejected_with_its_diagnosis_in_a_short_report(
    kata, variant: Path, curriculum_runs
):
    """A wrong variant fails its kata's tests; the output names the mistake, each failing
    test takes at most 20 lines, and nothing follows pytest's summary line."""
    run = curriculum_runs[kata.name, variant.name]
    mistake = checks.expected_mistake(variant) or ()
    assert run.returncode == 1, (
        f"{kata.relative(variant)} should fail the tests (exit 1), got exit "
        f"{run.returncode}:\n{run.output[-3000:]}"
    )
    missing = [part for part in mistake if part not in run.output]
    assert mistake and not missing, (
        f"{kata.relative(variant)} failed, but the output does not say {missing!r}:\n"
        f"{run.output[-3000:]}"
    )
    problems = checks.report_problems(run.output)
    assert not problems, (
        f"the report for {kata.relative(variant)} is not what a learner should read:\n  "
        + "\n  ".join(problems)
        + f"\n{run.output[-3000:]}"
    )


@pytest.mark.parametrize(("kata", "variant"), RIGHT, ids=[_id(k, v) for k, v in RIGHT])
def test_each_accepted_variant_passes(kata, variant: Path, curriculum_runs):
    """A correct answer written differently from the reference is green: the tests judge
    behaviour, not spelling."""
    run = curriculum_runs[kata.name, variant.name]
    assert run.returncode == 0, (
        f"{kata.relative(variant)} is a correct answer, but the tests rejected it (exit "
        f"{run.returncode}):\n{run.output[-3000:]}"
    )


def test_failure_reports_are_short_across_all_known_mistakes(curriculum_runs):
    """Over every wrong variant that ran, the median failing test takes at most 8 lines."""
    outputs = [run.output for (name, file), run in curriculum_runs.items() if file.startswith("wrong_")]
    if not outputs:
        pytest.skip("no wrong variant was selected in this run")
    median = checks.median_lines(outputs)
    assert median <= checks.MEDIAN_LINES_PER_FAILURE, (
        f"a failing test's report takes {median} lines at the median over "
        f"{len(outputs)} wrong variants; the budget is {checks.MEDIAN_LINES_PER_FAILURE}"
    )


@pytest.mark.parametrize("kata", CATALOG, ids=[k.name for k in CATALOG])
def test_each_stub_fails_fast_without_collection_errors(kata, curriculum_runs):
    """An untouched stub is red, collects cleanly, and fails fast instead of hanging."""
    if (kata.name, "kata.py") not in curriculum_runs:
        pytest.skip(f"{kata.relative(kata.stub)} has been edited; this check is for stubs")
    run = curriculum_runs[kata.name, "kata.py"]
    assert run.returncode == 1 and " failed" in run.output, (
        f"the stub {kata.relative(kata.stub)} should fail its tests (exit 1), got exit "
        f"{run.returncode}:\n{run.output[-3000:]}"
    )
    assert "error" not in run.output.splitlines()[-1], (
        f"the stub's tests should fail, not error:\n{run.output[-3000:]}"
    )
    assert "did not finish within" not in run.output, (
        f"the stub {kata.relative(kata.stub)} hung until the timeout; a stub must fail "
        f"fast (raise NotImplementedError):\n{run.output[-3000:]}"
    )
