"""The repository's own checks: every kata is complete, every stub is red, and every
known mistake is rejected with the diagnosis a learner should see.

The solutions themselves are proven by `pytest --solutions`, which runs every kata's
unchanged tests against solutions/.
"""

from pathlib import Path

import pytest

from harness import catalog, checks, readme, stubs

CATALOG = catalog.load()
VARIANTS = [(kata, variant) for kata in CATALOG for variant in kata.wrong_variants]
# The session fixture below runs every variant and stub in subprocesses (each bounded by
# its own 5 s-per-test timeout and a 60 s cap), so the first test to use it needs longer.
pytestmark = pytest.mark.timeout(60 + 30 * (len(VARIANTS) + len(CATALOG)))


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


@pytest.fixture(scope="session")
def curriculum_runs(request) -> dict[tuple[str, str], checks.Run]:
    """The selected wrong variants and untouched stubs, run as a learner would run them."""
    selected = {item.callspec.id for item in request.session.items if hasattr(item, "callspec")}
    jobs = {}
    for kata, variant in VARIANTS:
        if f"{kata.name}/{variant.stem}" in selected:
            jobs[kata.name, variant.name] = [
                kata.relative(kata.dir), "--impl", kata.relative(variant)
            ]
    for kata in CATALOG:
        if kata.name in selected and kata.stub.is_file() and stubs.looks_like_stub(kata.stub.read_bytes()):
            jobs[kata.name, "kata.py"] = [kata.relative(kata.dir)]
    return checks.run_all(CATALOG.root, jobs)


@pytest.mark.parametrize(
    ("kata", "variant"), VARIANTS, ids=[f"{k.name}/{v.stem}" for k, v in VARIANTS]
)
def test_each_known_mistake_is_rejected_with_its_diagnosis(kata, variant: Path, curriculum_runs):
    """A wrong variant fails its kata's tests, and the output names the mistake."""
    run = curriculum_runs[kata.name, variant.name]
    mistake = checks.expected_mistake(variant)
    assert run.returncode == 1, (
        f"{kata.relative(variant)} should fail the tests (exit 1), got exit "
        f"{run.returncode}:\n{run.output[-3000:]}"
    )
    assert mistake and mistake in run.output, (
        f"{kata.relative(variant)} failed, but the output does not say {mistake!r}:\n"
        f"{run.output[-3000:]}"
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
    assert "Timeout" not in run.output, (
        f"the stub {kata.relative(kata.stub)} hung until the timeout; a stub must fail "
        f"fast (raise NotImplementedError):\n{run.output[-3000:]}"
    )
