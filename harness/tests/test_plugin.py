"""The pytest plugin, end to end: a tiny fake curriculum run in a pytest subprocess.

The plugin installs signal handlers, patches builtins (blockbuster) and turns on
coroutine origin tracking, so every run here is a separate process. Each test writes
only the file that differs from a passing curriculum and reads the output a learner
would read.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from harness.judge import plugin
from harness.tests.fake_curriculum import PYTEST_INI

pytest_plugins = ["pytester"]
# Every test here starts a pytest process, which takes seconds on a busy machine.
pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parents[2]

CATALOG = """\
[[kata]]
number = 1
slug = "kettle"
title = "Kettle"
level = "beginner"
concepts = ["boiling water"]
hints = ["Boil it.", "Boil it with await."]

[[kata]]
number = 2
slug = "toaster"
title = "Toaster"
level = "beginner"
concepts = ["toasting bread"]
hints = ["Toast it.", "Toast it with await."]
"""

# Both katas test a function of the same name; each expects its own kata's answer,
# so a module loaded for the wrong kata fails.
KATA_TEST = '''\
"""The {slug} kata's only test."""


async def test_the_{slug}_answers(kata):
    """answer() names this kata; the output says which file gave it."""
    got = await kata.answer()
    print(f"\\nUNDER TEST {slug}: {{got}} (module {{kata.__name__}})")
    assert got.startswith("{slug}"), f"answer() returned {{got!r}}; expected the {slug}'s"
'''

ANSWER = """\
async def answer():
    return "{slug} from {origin}"
"""

SLUGS = {"01_kettle": "kettle", "02_toaster": "toaster"}


class Curriculum:
    """A fake repository with two passing katas; tests overwrite one file at a time."""

    __test__ = False

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.root = pytester.path
        self.write("katas/katas.toml", CATALOG)
        self.write("conftest.py", 'pytest_plugins = ["harness.judge.plugin"]\n')
        self.write("pytest.ini", PYTEST_INI)
        for name, slug in SLUGS.items():
            self.write(f"katas/{name}/test_kata.py", KATA_TEST.format(slug=slug))
            self.kata(name, ANSWER.format(slug=slug, origin="katas/"))
            self.write(f"solutions/{name}/kata.py", ANSWER.format(slug=slug, origin="solutions/"))

    def write(self, relative: str, source: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        return path

    def kata(self, name: str, source: str) -> Path:
        """Replace the learner's kata.py of ``name``."""
        return self.write(f"katas/{name}/kata.py", source)

    def run(self, *args: str, timeout: float = 60) -> pytest.RunResult:
        return self.pytester.runpytest_subprocess(*args, timeout=timeout)


@pytest.fixture
def curriculum(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Curriculum:
    """The fake curriculum in this test's directory, with this repository on PYTHONPATH."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    return Curriculum(pytester)


def output(result: pytest.RunResult) -> str:
    return result.stdout.str() + "\n" + result.stderr.str()


def outcomes(result: pytest.RunResult) -> dict[str, int]:
    counts = result.parseoutcomes()
    return {key: counts[key] for key in ("passed", "failed", "errors") if counts.get(key)}


# --- usage errors at start ---------------------------------------------------------------
def test_impl_with_two_katas_selected_is_a_usage_error_that_says_what_to_do(curriculum):
    """--impl needs exactly one kata; with none named, both are selected and it says so."""
    impl = curriculum.write("elsewhere/answer.py", ANSWER.format(slug="kettle", origin="x"))
    result = curriculum.run("--impl", str(impl))
    expected = plugin.IMPL_ONE_KATA.format(count=2, names="01_kettle, 02_toaster")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, (
        f"expected a usage error (exit 4), got exit {result.ret}:\n{output(result)}"
    )
    assert expected in output(result), f"the usage error should say {expected!r}:\n{output(result)}"


def test_impl_counts_the_selected_katas_whatever_other_options_are_given(curriculum):
    """An option's value (here `-p no:cacheprovider`) is not a kata path and selects nothing."""
    impl = curriculum.write("elsewhere/answer.py", ANSWER.format(slug="kettle", origin="x"))
    result = curriculum.run("-p", "no:cacheprovider", "--impl", str(impl))
    expected = plugin.IMPL_ONE_KATA.format(count=2, names="01_kettle, 02_toaster")
    assert expected in output(result), f"the usage error should say {expected!r}:\n{output(result)}"


def test_impl_with_a_missing_file_is_a_usage_error(curriculum):
    """--impl PATH must name an existing file; the message repeats the path."""
    result = curriculum.run("katas/01_kettle", "--impl", "no/such/answer.py")
    expected = plugin.IMPL_MISSING.format(path="no/such/answer.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, (
        f"expected a usage error (exit 4), got exit {result.ret}:\n{output(result)}"
    )
    assert expected in output(result), f"the usage error should say {expected!r}:\n{output(result)}"


def test_impl_together_with_solutions_is_a_usage_error(curriculum):
    """--impl and --solutions both choose what is under test: only one may be given."""
    impl = curriculum.write("elsewhere/answer.py", ANSWER.format(slug="kettle", origin="x"))
    result = curriculum.run("katas/01_kettle", "--impl", str(impl), "--solutions")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, (
        f"expected a usage error (exit 4), got exit {result.ret}:\n{output(result)}"
    )
    assert plugin.IMPL_WITH_SOLUTIONS in output(result), (
        f"the usage error should say {plugin.IMPL_WITH_SOLUTIONS!r}:\n{output(result)}"
    )


# --- what is under test --------------------------------------------------------------------
MODES = {
    "default": (
        ["-s"],
        "under test: your files, katas/NN_slug/kata.py",
        [
            "kettle from katas/ (module katas.01_kettle.kata)",
            "toaster from katas/ (module katas.02_toaster.kata)",
        ],
    ),
    "solutions": (
        ["-s", "--solutions"],
        "under test: the reference solutions in solutions/ (--solutions)",
        [
            "kettle from solutions/ (module solutions.01_kettle.kata)",
            "toaster from solutions/ (module solutions.02_toaster.kata)",
        ],
    ),
    "impl": (
        ["-s", "katas/01_kettle", "--impl", "elsewhere/answer.py"],
        "under test: elsewhere/answer.py (--impl)",
        ["kettle from elsewhere/ (module elsewhere.answer)"],
    ),
}


@pytest.mark.parametrize("mode", MODES)
def test_the_header_names_what_is_under_test_and_each_kata_loads_that_file(curriculum, mode):
    """The header says which files are judged; each kata then gets its own module from there.

    Both katas define `answer()` and expect their own result, so modules that collided
    in sys.modules would fail one of them.
    """
    args, header, answers = MODES[mode]
    curriculum.write("elsewhere/answer.py", ANSWER.format(slug="kettle", origin="elsewhere/"))
    result = curriculum.run(*args)
    text = output(result)
    assert header in result.stdout.lines, f"the header should say {header!r}:\n{text}"
    assert outcomes(result) == {"passed": len(answers)}, (
        f"every selected kata should pass with its own answer():\n{text}"
    )
    for answer in answers:
        assert any(answer in line for line in result.stdout.lines), (
            f"expected a test to report {answer!r}:\n{text}"
        )


# --- a broken or unfinished file -------------------------------------------------------------
def test_a_missing_function_says_so_plainly(curriculum):
    """A renamed function is named, with what the file does define."""
    curriculum.kata(
        "01_kettle",
        """\
        async def answr():
            return "kettle"
        """,
    )
    result = curriculum.run("katas/01_kettle")
    expected = "katas/01_kettle/kata.py has no function `answer` — did you rename it?"
    assert outcomes(result) == {"failed": 1}, f"the kettle test should fail:\n{output(result)}"
    assert expected in output(result), f"the failure should say {expected!r}:\n{output(result)}"
    assert "katas/01_kettle/kata.py defines: answr" in output(result), (
        f"the failure should list what kata.py defines (answr):\n{output(result)}"
    )
    assert "AttributeError" not in output(result), (
        f"the learner should not see an AttributeError:\n{output(result)}"
    )


def test_a_syntax_error_fails_only_that_kata_with_the_learners_line(curriculum):
    """One broken kata.py does not stop the other katas; its failure shows line and caret."""
    curriculum.kata(
        "01_kettle",
        """\
        import asyncio

        async def answer()
            return "kettle"
        """,
    )
    result = curriculum.run()
    text = output(result)
    assert "katas/01_kettle/kata.py has a syntax error on line 3" in text, (
        f"the failure should name kata.py's line 3:\n{text}"
    )
    assert "async def answer()" in text, f"the failure should quote the broken line:\n{text}"
    assert outcomes(result) == {"failed": 1, "passed": 1}, (
        f"only the kettle kata should fail; the toaster kata should pass:\n{text}"
    )
    assert "✗ 01_kettle" in text and "✓ 02_toaster" in text, (
        f"the progress table should show the kettle failing and the toaster passing:\n{text}"
    )


def test_an_untouched_stub_is_reported_as_still_a_stub(curriculum):
    """NotImplementedError from kata.py becomes a 'still a stub' message with its line."""
    curriculum.kata(
        "01_kettle",
        '''\
        async def answer():
            """Boil the water."""
            # TODO: boil it
            raise NotImplementedError
        ''',
    )
    result = curriculum.run("katas/01_kettle")
    expected = "`answer` in katas/01_kettle/kata.py is still a stub (line 4)"
    assert outcomes(result) == {"failed": 1}, f"the stub should fail:\n{output(result)}"
    assert expected in output(result), f"the failure should say {expected!r}:\n{output(result)}"


# --- diagnoses of asyncio mistakes -------------------------------------------------------------
def test_a_blocking_call_is_reported_with_its_line(curriculum):
    """time.sleep in an async def is named with kata.py's line, whatever the test asserted."""
    curriculum.kata(
        "01_kettle",
        """\
        import time

        async def answer():
            time.sleep(0.01)
            return "kettle"
        """,
    )
    result = curriculum.run("katas/01_kettle")
    expected = "the event loop was blocked by time.sleep"
    assert outcomes(result) == {"failed": 1}, f"the blocking call should fail:\n{output(result)}"
    assert expected in output(result), f"the failure should say {expected!r}:\n{output(result)}"
    assert "katas/01_kettle/kata.py:4 in answer()" in output(result), (
        f"the failure should name the learner's line, kata.py:4:\n{output(result)}"
    )


def test_subprocess_run_in_a_coroutine_is_named_as_a_blocking_subprocess(curriculum):
    """subprocess.run blocks while the process starts and until it ends: named as such on
    every Python version (3.13 reads the child's start without blocking, then its output)."""
    curriculum.kata(
        "01_kettle",
        """\
        import subprocess
        import sys

        async def answer():
            done = subprocess.run([sys.executable, "-c", "print('kettle')"], capture_output=True, timeout=5)
            return done.stdout.decode().strip()
        """,
    )
    result = curriculum.run("katas/01_kettle")
    expected = "the event loop was blocked by subprocess.Popen"
    assert outcomes(result) == {"failed": 1}, f"the blocking call should fail:\n{output(result)}"
    assert expected in output(result), f"the failure should say {expected!r}:\n{output(result)}"
    assert "katas/01_kettle/kata.py:5 in answer()" in output(result), (
        f"the failure should name the learner's line, kata.py:5:\n{output(result)}"
    )


def test_a_kata_can_give_its_own_advice_for_a_kind_of_blocking_call(curriculum):
    """pytest.mark.blocking_fix(prefix, fix) replaces the judge's advice for those calls."""
    curriculum.kata(
        "01_kettle",
        """\
        import time

        async def answer():
            time.sleep(0.01)
            return "kettle"
        """,
    )
    curriculum.write(
        "katas/01_kettle/test_kata.py",
        """\
        import pytest

        pytestmark = pytest.mark.blocking_fix("time.", "boil the kettle in a thread.")


        async def test_the_kettle_answers(kata):
            assert await kata.answer() == "kettle"
        """,
    )
    result = curriculum.run("katas/01_kettle")
    expected = "Try: boil the kettle in a thread."
    assert outcomes(result) == {"failed": 1}, f"the blocking call should fail:\n{output(result)}"
    assert expected in output(result), f"the failure should say {expected!r}:\n{output(result)}"


def test_a_swallowed_blocking_call_is_still_reported(curriculum):
    """gather(return_exceptions=True) hides the error from the code, not from the test."""
    curriculum.kata(
        "01_kettle",
        """\
        import asyncio
        import time

        async def boil():
            time.sleep(0.01)

        async def answer():
            await asyncio.gather(boil(), return_exceptions=True)
            return "kettle"
        """,
    )
    result = curriculum.run("katas/01_kettle")
    expected = "katas/01_kettle/kata.py:5 in boil()"
    assert outcomes(result) == {"failed": 1}, (
        f"a swallowed blocking call should still fail the test:\n{output(result)}"
    )
    assert expected in output(result), f"the failure should say {expected!r}:\n{output(result)}"


def test_a_never_awaited_coroutine_is_reported_where_it_was_created(curriculum):
    """A coroutine called without await names its function and kata.py's line."""
    curriculum.kata(
        "01_kettle",
        """\
        async def boil():
            return "hot"

        async def answer():
            boil()
            return "kettle"
        """,
    )
    result = curriculum.run("katas/01_kettle")
    expected = "coroutine boil() was created at katas/01_kettle/kata.py:5 but never awaited"
    assert outcomes(result) == {"failed": 1}, f"the forgotten await should fail:\n{output(result)}"
    assert expected in output(result), f"the failure should say {expected!r}:\n{output(result)}"


def test_a_task_that_failed_unseen_is_reported_with_its_error(curriculum):
    """A task whose error nobody retrieved fails the test that started it, even though
    asyncio's report of it names the kata's file (which LateReports drops after the run)."""
    curriculum.kata(
        "01_kettle",
        """\
        import asyncio

        async def boil():
            raise ValueError("no water")

        async def answer():
            task = asyncio.create_task(boil())
            await asyncio.sleep(0.01)
            del task
            return "kettle"
        """,
    )
    result = curriculum.run("katas/01_kettle")
    expected = "a task running boil() failed with ValueError: no water, and nothing awaited it"
    assert outcomes(result) == {"failed": 1}, f"the unseen error should fail the test:\n{output(result)}"
    assert expected in output(result), f"the failure should say {expected!r}:\n{output(result)}"


SLOW_CALLBACK_KATA = """\
import asyncio
import logging
import time

class Reports(logging.Handler):
    def __init__(self):
        super().__init__()
        self.seen = []

    def emit(self, record):
        self.seen.append(record.getMessage().split(" took ")[0][:9])

def hold_the_loop():
    end = time.perf_counter() + 0.03
    while time.perf_counter() < end:
        pass

async def answer():
    loop = asyncio.get_running_loop()
    reports = Reports()
    logging.getLogger({logger!r}).addHandler(reports)
    loop.set_debug(True)
    loop.slow_callback_duration = 0.01
    try:
        loop.call_soon(hold_the_loop)
        await asyncio.sleep(0.01)
    finally:
        loop.set_debug(False)
        logging.getLogger({logger!r}).removeHandler(reports)
    return f"{slug} heard {{reports.seen}}"
"""


@pytest.mark.parametrize(("slug", "logger"), [("kettle", "asyncio"), ("toast", "asyncio"), ("kettle", "")])
def test_a_learners_handler_hears_what_the_judge_does_not_explain(curriculum, slug, logger):
    """Debug mode's slow-callback report reaches the learner's handler, on the asyncio
    logger or the root logger; never pytest's capture (a failing run shows no captured log)."""
    curriculum.kata("01_kettle", SLOW_CALLBACK_KATA.format(slug=slug, logger=logger))
    result = curriculum.run("katas/01_kettle", "-s")
    text = output(result)
    assert "heard ['Executing']" in text, f"the learner's handler should hear the report:\n{text}"
    if slug == "kettle":
        assert outcomes(result) == {"passed": 1}, text
    else:
        assert outcomes(result) == {"failed": 1}, text
        assert "Captured log" not in text and "took 0." not in text, (
            f"asyncio's record should not be shown by pytest:\n{text}"
        )


def test_a_library_awaitable_used_without_await_is_named_and_leaves_nothing_behind(curriculum):
    """An awaitable that is not a coroutine (aiosqlite's db.execute(...), aiohttp's
    session.get(...)) used as a value names the missing await; the coroutine it holds is
    closed, so no "never awaited" warning follows the summary."""
    curriculum.kata(
        "01_kettle",
        """\
        class Reply:
            def __init__(self, coroutine):
                self.coroutine = coroutine

            def __await__(self):
                return self.coroutine.__await__()

        async def boil():
            return "kettle"

        async def answer():
            reply = Reply(boil())
            return reply.upper()
        """,
    )
    result = curriculum.run("katas/01_kettle")
    text = output(result)
    expected = [
        "an awaitable Reply object was used as a value ('Reply' object has no attribute 'upper')",
        "katas/01_kettle/kata.py:13 in answer()",
        "put `await` in front of the call that made it",
    ]
    assert outcomes(result) == {"failed": 1}, f"the forgotten await should fail:\n{text}"
    missing = [part for part in expected if part not in text]
    assert not missing, f"the failure should say {missing}:\n{text}"
    assert "never awaited" not in text, f"the closed coroutine was reported late:\n{text}"


def test_a_hang_ends_with_a_timeout_naming_the_waiting_line(curriculum):
    """An Event nobody sets ends at the timeout, with the line that waits on it."""
    curriculum.kata(
        "01_kettle",
        """\
        import asyncio

        async def answer():
            await asyncio.Event().wait()
            return "kettle"
        """,
    )
    result = curriculum.run("katas/01_kettle")
    text = output(result)
    assert outcomes(result) == {"failed": 1}, f"the hang should fail:\n{text}"
    assert "this test did not finish within 1 s" in text, (
        f"the failure should say it is a timeout:\n{text}"
    )
    assert "waiting at katas/01_kettle/kata.py:4 in answer()" in text, (
        f"the failure should name kata.py:4:\n{text}"
    )
    assert "an asyncio.Event that nothing sets" in text, (
        f"the failure should list the usual causes of a hang:\n{text}"
    )


SWALLOWS_CANCELLATION = """\
    import asyncio

    BOILING = set()

    async def keep_boiling():
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                pass

    async def answer():
        {body}
    """


@pytest.mark.timeout(40)
@pytest.mark.parametrize(
    "body",
    ["await keep_boiling()", 'BOILING.add(asyncio.create_task(keep_boiling())); return "wrong"'],
    ids=["while-the-test-waits", "after-the-test-failed"],
)
def test_a_task_that_swallows_cancellation_cannot_hang_the_run(curriculum, body):
    """Cancelling a task that catches CancelledError forever still ends, with a timeout message."""
    curriculum.kata("01_kettle", SWALLOWS_CANCELLATION.format(body=body))
    result = curriculum.run("katas/01_kettle", timeout=30)
    text = output(result)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, (
        f"the run should end with failed tests (exit 1), got exit {result.ret}:\n{text}"
    )
    assert "a task was cancelled but kept running" in text, (
        f"the output should say that a task swallowed its cancellation:\n{text}"
    )
    assert "katas/01_kettle/kata.py:8 in keep_boiling()" in text, (
        f"the output should name kata.py:8 in keep_boiling():\n{text}"
    )


# --- broken learner code fails its own kata, and only that ------------------------------------
# Each case replaces the kettle's kata.py; the toaster kata (which awaits asyncio.sleep)
# must still pass, the exit code must be 1, and the output must name the problem.
BROKEN = {
    "sys.exit at import": (
        "import sys\nsys.exit(0)\n",
        ["failed while loading", "sys.exit(0)", "katas/01_kettle/kata.py:2"],
    ),
    "os._exit in a call": (
        "import os\n\nasync def answer():\n    os._exit(0)\n",
        ["your code called os._exit(0)", "katas/01_kettle/kata.py:4 in answer()"],
    ),
    "os.fork in a call": (
        "import os\n\nasync def answer():\n    os.fork()\n    return 'kettle'\n",
        ["your code called os.fork()", "katas/01_kettle/kata.py:4 in answer()"],
    ),
    "KeyboardInterrupt raised": (
        "async def answer():\n    raise KeyboardInterrupt\n",
        ["your code raised KeyboardInterrupt", "katas/01_kettle/kata.py:2 in answer()"],
    ),
    "a lowered recursion limit": (
        "import sys\nsys.setrecursionlimit(60)\n\nasync def answer():\n    return answer.__name__\n",
        ["answer() returned 'answer'"],
    ),
    "a patched asyncio.sleep": (
        "import asyncio\n\nasync def broken(*args, **kwargs):\n    raise RuntimeError('patched')\n\n"
        "asyncio.sleep = broken\n\nasync def answer():\n    return 'tea'\n",
        ["answer() returned 'tea'"],
    ),
    "a subprocess left running": (
        "import asyncio\n\nasync def answer():\n"
        "    await asyncio.create_subprocess_exec('sleep', '1000')\n    return 'kettle'\n",
        ["a process your code started was still running when the test ended: sleep 1000"],
    ),
    "a thread that never ends": (
        "import threading, time\n\nasync def answer():\n"
        "    threading.Thread(target=lambda: [time.sleep(0.05) for _ in iter(int, 1)]).start()\n"
        "    return 'kettle'\n",
        ["a thread your code started was still running", "katas/01_kettle/kata.py:4"],
    ),
    "a write to another kata's file": (
        "from pathlib import Path\n\nasync def answer():\n"
        "    Path(__file__).parents[1].joinpath('02_toaster', 'kata.py').write_text('')\n"
        "    return 'kettle'\n",
        ["your code changed katas/02_toaster/kata.py", "it was put back"],
    ),
    "deleting its own tests through a thread": (
        "import asyncio\nfrom pathlib import Path\n\nasync def answer():\n"
        "    await asyncio.to_thread(Path(__file__).with_name('test_kata.py').unlink)\n"
        "    return 'kettle'\n",
        ["your code deleted katas/01_kettle/test_kata.py", "it was put back"],
    ),
    "ten megabytes printed": (
        "async def answer():\n    print('x' * 10_000_000)\n    return 'tea'\n",
        ["(9,999,800 more characters)"],
    ),
    "a busy loop": (
        "async def answer():\n    while True:\n        pass\n",
        ["the event loop never got control back", "katas/01_kettle/kata.py:2 in answer()", "this loop never awaits"],
    ),
    "a threading.Lock held across an await": (
        "import asyncio, threading\n\nKETTLE = threading.Lock()\n\nasync def hold():\n"
        "    with KETTLE:\n        await asyncio.sleep(0.01)\n\n"
        "async def answer():\n    await asyncio.gather(hold(), hold())\n",
        ["the event loop never got control back", "katas/01_kettle/kata.py:6 in hold()", "Use asyncio.Lock"],
    ),
    "spinning on sleep(0) until the timeout": (
        "import asyncio\n\nasync def answer():\n    while True:\n        await asyncio.sleep(0)\n",
        ["this test did not finish within 1 s"],
    ),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", BROKEN)
def test_broken_learner_code_fails_only_its_own_kata_with_a_message(curriculum, case):
    """A crash, exit, interrupt or patch in one kata never changes another kata's result,
    nothing is left running, and the output stays short."""
    source, expected = BROKEN[case]
    curriculum.kata("01_kettle", source)
    result = curriculum.run("katas/01_kettle", "katas/02_toaster", timeout=40)
    text = output(result)
    if case == "a threading.Lock held across an await" and os.environ.get("HARNESS_TIMEOUT_METHOD") == "thread":
        # Without SIGALRM (Windows, `tox -e nosignal`) nothing interrupts a thread blocked in
        # C: the diagnosis is printed, then the process ends (README, "Where it runs").
        missing = [part for part in (*expected, "The test process had to end here") if part not in text]
        assert not missing, f"the output should say {missing}:\n{text[-3000:]}"
        assert result.ret != 0, "a run that had to end is never green"
        return
    assert result.ret == pytest.ExitCode.TESTS_FAILED, f"exit code {result.ret}, not 1:\n{text[-3000:]}"
    assert outcomes(result) == {"failed": 1, "passed": 1}, f"only the kettle should fail:\n{text[-3000:]}"
    missing = [part for part in expected if part not in text]
    assert not missing, f"the output should say {missing}:\n{text[-3000:]}"
    assert "cancel" not in text.lower() or "CancelledError" in source, (
        f"nothing here swallows a cancellation, yet the output says so:\n{text[-3000:]}"
    )
    assert len(text) < 5000, f"the output should stay short, it has {len(text)} characters"
    assert "sleep 1000" not in subprocess_list(), "the learner's process was left running"


def test_a_process_started_at_import_is_stopped_when_its_test_ends(curriculum):
    """A kata.py that starts a process as it is loaded leaves nothing running after pytest,
    even when nothing else (the harness, its watchdog) is there to clean up."""
    curriculum.kata(
        "01_kettle",
        "import subprocess, sys\n\n"
        "_heater = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1000)', 'heater-1000'])\n\n"
        "async def answer():\n    return 'kettle'\n",
    )
    result = curriculum.run("katas/01_kettle")
    assert outcomes(result) == {"passed": 1}, output(result)
    assert "heater-1000" not in subprocess_list(), "the process started at import was left running"


def subprocess_list() -> str:
    import subprocess

    return subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout


@pytest.mark.timeout(60)
def test_without_sigalrm_the_watchdog_thread_stops_a_hang_with_the_same_diagnosis(curriculum):
    """--timeout-method=thread is what Windows gets: the diagnosis is the same."""
    curriculum.kata(
        "01_kettle",
        "import asyncio\n\nasync def answer():\n    await asyncio.Event().wait()\n",
    )
    result = curriculum.run("katas/01_kettle", "katas/02_toaster", "--timeout-method=thread", timeout=40)
    text = output(result)
    assert outcomes(result) == {"failed": 1, "passed": 1}, text[-3000:]
    assert "this test did not finish within 1 s" in text, text[-3000:]
    assert "waiting at katas/01_kettle/kata.py:4 in answer()" in text, text[-3000:]
