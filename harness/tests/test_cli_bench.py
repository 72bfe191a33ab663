"""bench: the workload's call phase against the kata's ideal, and the suite's timing."""

from __future__ import annotations

import io
import json
import re

import pytest

from harness import bench, catalog, cli
from harness.terminal import Console
from harness.tests import fake_curriculum as fake

pytestmark = pytest.mark.timeout(fake.SUBPROCESS_TIMEOUT)


def harness(root, *args: str) -> tuple[int, str]:
    screen = Console(out=io.StringIO(), env={}, read_line=lambda: None)
    code = cli.main(["--root", str(root), *args], screen)
    return code, screen.out.getvalue()


def line_of(output: str, kata: str) -> str:
    return next(line for line in output.splitlines() if line.strip().startswith(kata))


def test_bench_solutions_times_workloads_the_suite_the_stubs_and_each_kata_alone(fake_repo):
    code, output = harness(fake_repo, "bench", "--solutions", "--repeat", "1")
    assert code == 0
    workload, suite, stubs, alone = output.split("\n\n")
    assert "best of 1, against the reference solutions" in workload
    assert re.search(r"01_add\s+\d\.\d+ s, ideal 0\.010 s — \d+\.\d\d×", workload), workload
    assert "no test is marked @pytest.mark.workload" in line_of(workload, "02_greet")
    assert "ideal 0.010 s" in line_of(workload, "03_wait")
    assert "not timed: katas/04_later does not exist yet" in line_of(workload, "04_later")
    assert "pytest --solutions" in suite
    assert re.search(r"02_greet\s+2 tests\s+\d\.\d\d s\s+2 passed", suite), suite
    assert re.search(r"total\s+5 tests .* s wall", suite), suite
    assert "how long each takes to fail" in stubs
    assert re.search(r"01_add\s+2 tests\s+\d\.\d\d s\s+0 passed, 2 failed", stubs), stubs
    assert "`import pytest, aiohttp, aiosqlite`" in alone
    assert re.search(r"02_greet\s+\d\.\d\d s wall; baseline \+ tests \d\.\d\d s — \d", alone), alone
    assert "04_later" not in alone, "a kata without files cannot be timed alone"


def test_bench_json_times_the_learners_code_and_says_why_a_kata_was_not_timed(fake_repo):
    fake.write(fake_repo, "01_add", fake.SOLVED["01_add"])
    code, output = harness(fake_repo, "bench", "--json", "--repeat", "2")
    document = json.loads(output)
    assert code == 0 and document["under_test"] == "kata" and document["repeat"] == 2
    add, greet, wait, later = document["katas"]
    for entry in document["katas"]:
        assert {"number", "slug", "title", "seconds", "ideal", "ratio", "note"} <= set(entry)
    assert (
        add["slug"] == "add" and add["ideal"] == 0.01 and add["test"] == "test_one_and_one_make_two"
    )
    assert add["seconds"] > 0 and add["ratio"] == pytest.approx(add["seconds"] / 0.01)
    assert greet["seconds"] is None and greet["note"] == "no test is marked @pytest.mark.workload"
    assert wait["seconds"] is None and "the workload test failed" in wait["note"]
    assert "still a stub" in wait["note"]
    assert later["note"] == "not timed: katas/04_later does not exist yet"


def test_a_ratio_reads_like_the_catalog_says(fake_repo):
    kata = catalog.load(fake_repo).get("01")
    assert bench.Timing(kata, seconds=0.0104).describe() == "0.010 s, ideal 0.010 s — 1.04×"
