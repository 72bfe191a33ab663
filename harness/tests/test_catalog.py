"""The catalog (katas.toml, the paths computed from it, look-ups, its own checks) and the
README table generated from it, on a small catalog written for these tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import readme
from harness.catalog import Catalog, CatalogError, parse, problems

TOML = """\
[[kata]]
number = 1
slug = "coroutines"
title = "Coroutines"
level = "beginner"
concepts = ["await"]
hints = ["Await it.", "Await it inside async def."]
ideal = 0.05

[[kata]]
number = 2
slug = "gather"
title = "gather: together"
level = "intermediate"
concepts = ["asyncio.gather", "results keep order"]
hints = ["Together.", "asyncio.gather(*coros)."]

[[kata]]
number = 10
slug = "awaitables"
title = "Awaitables"
level = "advanced"
concepts = ["__await__"]
hints = ["Anything with __await__.", "A Future."]
"""


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return parse(TOML, tmp_path)


def entry(number: int, slug: str, *, level: str = "beginner", hints: int = 2) -> str:
    quoted = ", ".join(f'"hint {n}"' for n in range(hints))
    return (
        f'[[kata]]\nnumber = {number}\nslug = "{slug}"\ntitle = "{slug}"\nlevel = "{level}"\n'
        f'concepts = ["c"]\nhints = [{quoted}]\n'
    )


# --- parsing and paths ------------------------------------------------------------------------
def test_parse_reads_every_field_in_order(catalog, tmp_path):
    """Each [[kata]] becomes a Kata, in file order, with its fields and the given root."""
    first, second, third = catalog
    assert [k.name for k in catalog] == ["01_coroutines", "02_gather", "10_awaitables"], (
        f"folder names should be NN_slug in file order, got {[k.name for k in catalog]}"
    )
    assert (second.title, second.level, second.concepts) == (
        "gather: together",
        "intermediate",
        ("asyncio.gather", "results keep order"),
    ), f"fields of the second kata were read as {second}"
    assert second.hints == ("Together.", "asyncio.gather(*coros)."), f"hints read as {second.hints}"
    assert (first.ideal, second.ideal) == (0.05, None), "ideal is optional and read as seconds"
    assert catalog.root == tmp_path and third.root == tmp_path, (
        "every path should start at the given root"
    )


def test_a_kata_entry_without_a_required_field_is_a_catalog_error(tmp_path):
    """A missing slug is named in the error rather than a bare KeyError."""
    with pytest.raises(CatalogError, match="has no 'slug'"):
        parse('[[kata]]\nnumber = 1\ntitle = "t"\n', tmp_path)


def test_a_katas_paths_are_computed_from_its_folder_name(catalog, tmp_path):
    """katas/NN_slug/{kata,test_kata}.py, README.md, and solutions/NN_slug/ mirror it."""
    kata = catalog.get("gather")
    assert kata is not None
    assert kata.dir == tmp_path / "katas" / "02_gather", f"dir is {kata.dir}"
    assert (kata.stub, kata.tests, kata.lesson) == (
        kata.dir / "kata.py",
        kata.dir / "test_kata.py",
        kata.dir / "README.md",
    ), f"stub, tests and lesson are {kata.stub}, {kata.tests}, {kata.lesson}"
    assert kata.solution_dir == tmp_path / "solutions" / "02_gather", (
        f"solutions at {kata.solution_dir}"
    )
    assert kata.solution == kata.solution_dir / "kata.py", f"solution is {kata.solution}"
    assert kata.relative(kata.stub) == "katas/02_gather/kata.py", "paths are shown from the root"
    assert kata.relative(Path("/elsewhere/answer.py")) == "/elsewhere/answer.py", (
        "a path outside the repository is shown as given"
    )


def test_wrong_variants_are_the_sorted_wrong_files_of_the_solution_folder(catalog):
    """Only solutions/NN_slug/wrong_*.py count as known mistakes, in name order."""
    kata = catalog.get("gather")
    kata.solution_dir.mkdir(parents=True)
    for name in ("wrong_sequential.py", "kata.py", "wrong_as_completed.py", "notes.py"):
        (kata.solution_dir / name).write_text("", encoding="utf-8")
    found = [p.name for p in kata.wrong_variants]
    assert found == ["wrong_as_completed.py", "wrong_sequential.py"], f"wrong variants: {found}"


# --- look-ups ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["02_gather", "gather", "2", "02"])
def test_get_finds_a_kata_by_folder_name_slug_or_number(catalog, name):
    """Learners may type any of the names they see."""
    kata = catalog.get(name)
    assert kata is not None and kata.slug == "gather", f"get({name!r}) returned {kata}"


def test_get_returns_none_for_an_unknown_kata(catalog):
    """No guessing: an unknown name finds nothing."""
    assert catalog.get("gathr") is None and catalog.get("3") is None


def test_containing_finds_the_kata_of_a_file_in_katas_or_solutions(catalog, tmp_path):
    """A kata's folder, a file in it, or a file in its solutions folder all belong to it."""
    gather = catalog.get("gather")
    for path in (
        tmp_path / "katas" / "02_gather",
        tmp_path / "katas" / "02_gather" / "test_kata.py",
        tmp_path / "solutions" / "02_gather" / "wrong_sequential.py",
    ):
        assert catalog.containing(path) == gather, f"{path} should belong to 02_gather"


def test_containing_finds_nothing_outside_the_kata_folders(catalog, tmp_path):
    """The katas/ folder itself, a look-alike folder and other files belong to no kata."""
    for path in (
        tmp_path / "katas",
        tmp_path / "katas" / "02_gather_extra" / "kata.py",
        tmp_path / "harness" / "plugin.py",
    ):
        assert catalog.containing(path) is None, f"{path} should belong to no kata"


def test_selected_by_no_argument_is_every_kata(catalog):
    """`pytest` alone runs the whole curriculum."""
    assert catalog.selected_by([]) == list(catalog)


def test_selected_by_a_kata_folder_or_a_test_id_is_that_kata(catalog, tmp_path):
    """A folder, a test file or a test node id select the one kata they are in."""
    gather = catalog.get("gather")
    for arg in (
        tmp_path / "katas" / "02_gather",
        tmp_path / "katas" / "02_gather" / "test_kata.py",
        f"{tmp_path / 'katas' / '02_gather' / 'test_kata.py'}::test_eight_dishes",
    ):
        assert catalog.selected_by([str(arg)]) == [gather], f"{arg} should select 02_gather only"


def test_selected_by_the_katas_folder_is_every_kata(catalog, tmp_path):
    """`pytest katas` is the whole curriculum too."""
    assert catalog.selected_by([str(tmp_path / "katas")]) == list(catalog)


def test_selected_by_several_arguments_lists_each_kata_once_in_argument_order(catalog, tmp_path):
    """Two test ids in one kata select it once; a path outside the katas selects nothing."""
    tests = tmp_path / "katas" / "02_gather" / "test_kata.py"
    args = [
        f"{tests}::test_one",
        str(tmp_path / "harness" / "tests"),
        str(tmp_path / "katas" / "01_coroutines"),
        f"{tests}::test_two",
    ]
    selected = [k.name for k in catalog.selected_by(args)]
    assert selected == ["02_gather", "01_coroutines"], f"selected {selected}"


# --- the catalog's own checks ------------------------------------------------------------------
def test_a_consistent_catalog_has_no_problems(catalog):
    """The small catalog above is valid."""
    assert problems(catalog) == [], f"unexpected problems: {problems(catalog)}"


def test_problems_finds_duplicate_numbers(tmp_path):
    """Two katas numbered 2 cannot both be 02_..."""
    found = problems(parse(entry(1, "a") + entry(2, "b") + entry(2, "c"), tmp_path))
    assert found == ["kata numbers must be unique and in order, got [1, 2, 2]"], found


def test_problems_finds_numbers_out_of_order(tmp_path):
    """The catalog is the order of the course."""
    found = problems(parse(entry(2, "a") + entry(1, "b"), tmp_path))
    assert found == ["kata numbers must be unique and in order, got [2, 1]"], found


def test_problems_finds_a_kata_with_fewer_than_two_hints(tmp_path):
    """Hints are progressive: a nudge first, nearly the answer last."""
    found = problems(parse(entry(1, "a", hints=1) + entry(2, "b", hints=0), tmp_path))
    assert found == [
        "01_a needs at least two progressive hints",
        "02_b needs at least two progressive hints",
    ], found


def test_problems_finds_a_level_that_is_not_one_of_the_three(tmp_path):
    """The level must be one that interview mode can filter on."""
    found = problems(parse(entry(1, "a", level="expert"), tmp_path))
    assert found == [
        "01_a has level 'expert'; use one of ('beginner', 'intermediate', 'advanced')"
    ], found


def test_problems_finds_duplicate_slugs(tmp_path):
    """Two katas named alike would confuse look-ups by slug."""
    found = problems(parse(entry(1, "gather") + entry(2, "gather"), tmp_path))
    assert found == ["kata slugs must be unique, got ['gather', 'gather']"], found


# --- the README table ---------------------------------------------------------------------------
README = f"""\
# asyncio katas

Intro, kept as written.

{readme.START}
| an | old | table |
{readme.END}

## After the table

Kept as written too.
"""


def test_with_table_replaces_only_the_block_between_the_markers(catalog):
    """Text before and after the markers is untouched; the old table is gone."""
    updated = readme.with_table(README, catalog)
    head, rest = README.split(readme.START)
    _, tail = rest.split(readme.END)
    assert updated.startswith(head + readme.START + "\n"), (
        f"the text before the table changed:\n{updated}"
    )
    assert updated.endswith(readme.END + tail), f"the text after the table changed:\n{updated}"
    assert "| an | old | table |" not in updated, f"the old table is still there:\n{updated}"
    assert readme.render_table(catalog) in updated, f"the new table is missing:\n{updated}"
    assert "| 02 | [gather: together](katas/02_gather/README.md) | intermediate |" in updated, (
        f"each kata should get a row linking its lesson:\n{updated}"
    )
    assert readme.with_table(updated, catalog) == updated, "regenerating should change nothing"


@pytest.mark.parametrize("missing", [readme.START, readme.END])
def test_with_table_refuses_a_readme_without_both_markers(catalog, missing):
    """Without both markers there is no safe place to write the table."""
    with pytest.raises(ValueError, match="needs the markers"):
        readme.with_table(README.replace(missing, ""), catalog)


def test_a_capstone_counts_its_tests_as_steps(tmp_path):
    """`steps = true` marks a capstone: status says "4 of 9 steps", other katas "4 of 9"."""
    from harness import progress

    capstone = parse(entry(35, "crawler") + "steps = true\n", tmp_path)[0]
    plain = parse(entry(2, "gather"), tmp_path)[0]
    assert capstone.steps and not plain.steps
    assert progress.state_phrase(progress.KataStatus(capstone, "failing", 4, 9)) == "failing (4 of 9 steps)"
    assert progress.state_phrase(progress.KataStatus(plain, "failing", 4, 9)) == "failing (4 of 9)"
