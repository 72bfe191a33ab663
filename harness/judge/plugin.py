"""The pytest plugin: what is under test, the ``kata`` fixture, the local services, and
the short report a learner reads when a kata test fails.

Options:
  --solutions   run every selected kata against solutions/NN_slug/kata.py
  --impl PATH   run one kata against any file (a known-wrong variant, an answer kept elsewhere)
  --interview   report what went wrong, never how to fix it

``pytest katas/03`` selects ``katas/03_tasks`` (a number or slug names a kata).
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import catalog as catalog_module
from harness.catalog import Catalog, Kata
from harness.judge import aftermath, database, hang, isolation, loader, output, processes
from harness.judge.blocking import BlockingGuard
from harness.judge.explain import explain
from harness.judge.frames import LearnerFile
from harness.judge.isolation import Isolation
from harness.judge.report import Diagnosis, Mistake
from harness.judge.services import FakeService, ServiceFactory

# Forced fallbacks, for every pytest process a run starts (tox -e spawn, tox -e nosignal):
START_METHOD_VARIABLE = "HARNESS_START_METHOD"  # fork | forkserver | spawn
TIMEOUT_METHOD_VARIABLE = "HARNESS_TIMEOUT_METHOD"  # thread: no SIGALRM, as on Windows
REPOSITORY_TESTS = "harness/tests"  # run by `pytest --solutions` (no paths), never by bare `pytest`
ORIGIN_TRACKING_DEPTH = 32  # so "never awaited" can say where the coroutine was made

IMPL_ONE_KATA = (
    "--impl runs one kata against one file, but {count} katas are selected ({names}). "
    "Name one kata folder, e.g.: pytest katas/02_gather --impl PATH"
)
IMPL_MISSING = "--impl {path}: no such file. Give the path of a .py file with the kata's functions."
IMPL_WITH_SOLUTIONS = "--impl and --solutions choose what is under test: use one of them."


@dataclass
class Judged:
    """What the plugin knows about a kata test while it runs."""

    kata: Kata
    learner: LearnerFile
    tests: LearnerFile
    module: object = None
    guard: BlockingGuard | None = None
    aftermath: aftermath.Aftermath | None = None
    isolation: Isolation | None = None
    timer: hang.HangTimer | None = None
    diagnosis: Diagnosis | None = None


JUDGED = pytest.StashKey[Judged]()
EXIT_STATUS = pytest.StashKey[int]()
PROTECTED = pytest.StashKey["isolation.ProtectedFiles"]()
# What a test can leave behind that fails it even when its checks passed.
CAUSES = ("never_awaited", "task_exception", "task_pending", "unclosed")


# --- configuration ---------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("katas", "asyncio katas")
    group.addoption(
        "--solutions",
        action="store_true",
        help="run the katas against the reference solutions in solutions/ (author check)",
    )
    group.addoption(
        "--impl",
        metavar="PATH",
        help="run one kata against PATH instead of its kata.py (e.g. a wrong_*.py variant)",
    )
    group.addoption(
        "--start-method",
        choices=("fork", "forkserver", "spawn"),
        default=None,
        help="start process pools this way (macOS and Windows use spawn): proves the katas there",
    )
    group.addoption(
        "--interview",
        action="store_true",
        help="say what went wrong in each failing test, never how to fix it",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "workload: the test whose run `python -m harness bench` times"
    )
    config.addinivalue_line(
        "markers",
        "blocking_fix(prefix, fix): the kata's own advice for a blocking call whose name "
        "starts with prefix (e.g. 'socket.': a thread, where the lesson keeps the client)",
    )
    catalog = the_catalog(config)
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS and config.getoption("solutions"):
        # The author's check: every kata against its solution, and the repository's own tests.
        if (catalog.root / REPOSITORY_TESTS).is_dir():
            config.args.append(str(catalog.root / REPOSITORY_TESTS))
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        try:
            config.args[:] = [catalog.expand(arg, config.invocation_params.dir) for arg in config.args]
        except catalog_module.CatalogError as error:
            raise pytest.UsageError(str(error)) from None
    impl = config.getoption("impl")
    if impl is not None:
        if config.getoption("solutions"):
            raise pytest.UsageError(IMPL_WITH_SOLUTIONS)
        if not Path(impl).is_file():
            raise pytest.UsageError(IMPL_MISSING.format(path=impl))
        selected = catalog.selected_by(_positional_args(config))
        if len(selected) != 1:
            names = ", ".join(k.name for k in selected) or "none"
            raise pytest.UsageError(IMPL_ONE_KATA.format(count=len(selected), names=names))
    sys.set_coroutine_origin_tracking_depth(ORIGIN_TRACKING_DEPTH)
    processes.force_start_method(
        config.getoption("start_method") or os.environ.get(START_METHOD_VARIABLE) or None
    )
    _protected(config)  # read now, before any learner code runs
    config.pluginmanager.register(output.ShortReports(config, catalog), "kata-short-reports")
    config.pluginmanager.register(aftermath.LateReports(catalog_paths(config, catalog)), "kata-late-reports")


def catalog_paths(config: pytest.Config, catalog: Catalog) -> tuple[str, ...]:
    """Where kata tests and the files under test live (to recognise what they left)."""
    paths = [str(catalog.root / "katas"), str(catalog.root / "solutions")]
    if config.getoption("impl"):
        paths.append(str(Path(config.getoption("impl")).resolve()))
    return tuple(paths)


def _positional_args(config: pytest.Config) -> list[str]:
    """The test paths given on the command line; none when pytest fell back to testpaths."""
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return []
    return [str(Path(config.invocation_params.dir, arg)) for arg in config.args]


def the_catalog(config: pytest.Config) -> Catalog:
    """The catalog of the repository under test (its rootdir), or this one."""
    root = Path(config.rootpath)
    if (root / catalog_module.CATALOG_FILE).is_file():
        return catalog_module.load(root)
    return catalog_module.load()


def pytest_report_collectionfinish(config: pytest.Config) -> str:
    if config.getoption("impl"):
        return f"under test: {config.getoption('impl')} (--impl)"
    if config.getoption("solutions"):
        return "under test: the reference solutions in solutions/ (--solutions)"
    return "under test: your files, katas/NN_slug/kata.py"


# --- what is under test ----------------------------------------------------------------
def file_under_test(config: pytest.Config, kata: Kata) -> tuple[Path, str]:
    """The path of the module to test for ``kata`` and its module name."""
    impl = config.getoption("impl")
    if impl is not None:
        path, prefix = Path(impl).resolve(), "impl"
    elif config.getoption("solutions"):
        path, prefix = kata.solution, "solution"
    else:
        path, prefix = kata.stub, "kata"
    return path, loader.module_name(path, kata.root, f"{prefix}_{kata.name}")


def kata_of(item: pytest.Item) -> Kata | None:
    return the_catalog(item.config).containing(Path(item.path))


def judged(item: pytest.Item) -> Judged | None:
    """The kata test's record, made on first use (setup, the timer, the report)."""
    if JUDGED in item.stash:
        return item.stash[JUDGED]
    entry = kata_of(item)
    if entry is None:
        return None
    path, _ = file_under_test(item.config, entry)
    record = Judged(
        kata=entry,
        learner=LearnerFile(str(path), entry.relative(path)),
        tests=LearnerFile(str(item.path), entry.relative(Path(item.path))),
    )
    item.stash[JUDGED] = record
    return record


@pytest.fixture
def kata(request: pytest.FixtureRequest) -> Iterator[loader.KataModule]:
    """The module under test for this kata: the learner's kata.py, a solution or --impl."""
    record = judged(request.node)
    if record is None:
        pytest.fail(f"{request.node.path} is not inside a kata folder listed in katas.toml")
    path, name = file_under_test(request.config, record.kata)
    module = loader.load(path, name, record.learner)
    if record.isolation is not None:
        record.isolation.protect()  # a limit lowered at import would break pytest itself
    record.module = module._module
    overrides = tuple(tuple(m.args) for m in request.node.iter_markers("blocking_fix"))
    record.guard = BlockingGuard(record.learner, module._module, overrides=overrides)
    with record.guard.active():
        yield module
    sys.modules.pop(name, None)


@pytest.fixture
def kata_file(request: pytest.FixtureRequest, kata: loader.KataModule) -> LearnerFile:
    """The file under test (for LoopMonitor and messages)."""
    return request.node.stash[JUDGED].learner


# --- local services ------------------------------------------------------------------------
@pytest.fixture
async def fake_service(request: pytest.FixtureRequest) -> AsyncIterator[ServiceFactory]:
    """A factory: ``service = await fake_service({"/coffee": {"latency": 0.1}})``."""
    record = judged(request.node)
    factory = ServiceFactory(observer=record.learner.awaiting_now if record else None)
    yield factory
    await factory.close()


@pytest.fixture
async def service(fake_service: ServiceFactory) -> FakeService:
    """One running fake service with no routes yet: add them with ``service.route``."""
    return await fake_service()


shop_db = database.shop_db
bank_db = database.bank_db


# --- judging a test ----------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[object]:
    """From setup to teardown: watch what the test leaves behind, keep its code from
    changing the process; stop its hang timer once its teardown is over, not before."""
    record = judged(item)
    if record is not None:
        record.aftermath = aftermath.Aftermath(record.learner)
        record.isolation = Isolation(record.learner)
        gc.freeze()  # each collection then only walks what this test created
        record.aftermath.start()
        record.isolation.start()
    try:
        return (yield)
    finally:
        if record is not None:
            if record.timer is not None:
                record.timer.cancel()
            assert record.aftermath is not None and record.isolation is not None
            record.isolation.stop()  # idempotent: teardown normally did it already
            record.aftermath.stop()
            gc.unfreeze()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Run the test, then put the root cause first: a hang, blocking, an error, a
    forgotten await."""
    record = item.stash.get(JUDGED, None)
    if record is None or record.guard is None or record.aftermath is None:
        return (yield)
    _phase(record, "call")
    assert record.isolation is not None
    record.isolation.watch()
    try:
        yield
        failure: BaseException | None = None
    except KeyboardInterrupt:
        if record.timer is None or record.timer.interrupted:
            raise  # a real Ctrl-C stops the run
        failure = sys.exc_info()[1]  # raised by the learner's code: a failure like any other
    except BaseException as error:  # noqa: BLE001 - judged below
        failure = error
    record.isolation.protect()
    record.aftermath.collect()
    left = record.isolation.left_running()
    left += _protected(item.config).restore_changes(
        allowed=Path(record.learner.path), shown=record.kata.relative
    )
    diagnosis = verdict(record, failure, left)
    if diagnosis is None:
        return None
    record.diagnosis = diagnosis
    if failure is not None and not output.short_mode(item.config):
        raise failure  # --tb=... asked for pytest's own traceback of what really happened
    if failure is not None:
        traceback.clear_frames(failure.__traceback__)  # let its sockets and tasks be collected
    raise Mistake(diagnosis) from None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """What the test left behind — a task that failed unseen, a process or thread still
    running — fails a test that passed, and joins the report of one that failed."""
    record = item.stash.get(JUDGED, None)
    if record is not None:
        _phase(record, "teardown")
        if record.isolation is not None:
            record.isolation.protect()
    result = yield
    if record is None or record.aftermath is None or record.isolation is None:
        return result
    record.isolation.protect()
    late = [f.diagnosis for f in record.aftermath.collect() if f.kind in CAUSES]
    if not late:
        return result
    if record.diagnosis is None:
        record.diagnosis = late[0].with_also(*(d.what for d in late[1:]))
        raise Mistake(record.diagnosis)
    output.add_also(item, record, *(d.what for d in late))
    return result


def verdict(record: Judged, failure: BaseException | None, left: list[Diagnosis]) -> Diagnosis | None:
    """The one diagnosis of a test: the root cause first, what it left behind as ``also``.

    ``left``: processes and threads the code left running — the cause when nothing else
    went wrong, a consequence (named as ``also``) when something did.
    """
    found = _root_cause(record, failure)
    if found is None:
        return left[0].with_also(*(d.what for d in left[1:])) if left else None
    return found.with_also(*(d.what for d in left))


def _root_cause(record: Judged, failure: BaseException | None) -> Diagnosis | None:
    assert record.guard is not None and record.aftermath is not None and record.isolation is not None
    aftermath = record.aftermath
    unseen = [f.line for f in aftermath.of_kind("task_exception", "task_pending")]
    timer = record.timer
    if timer is not None and "call" in timer.diagnoses:
        return timer.diagnoses["call"].with_also(*unseen)
    if record.guard.seen:
        return record.guard.seen[0].diagnose()
    if record.isolation.findings:  # os._exit, os.fork
        return record.isolation.findings[0].with_also(*(d.what for d in record.isolation.findings[1:]))
    causes = aftermath.of_kind(*CAUSES)
    if failure is None:
        if not causes:
            return None
        return causes[0].diagnosis.with_also(*(c.line for c in causes[1:]))
    found = explain(failure, record.learner, module=record.module, tests=record.tests)
    if found.kind == "error" and found.where and found.where[0].file == record.learner.shown_as:
        return found.with_also(*unseen)  # their own error: never-awaited ones are consequences
    never = aftermath.of_kind("never_awaited")
    if never:
        return never[0].diagnosis.with_also(*(f.line for f in never[1:]), *unseen)
    return found.with_also(*unseen)


def _protected(config: pytest.Config) -> isolation.ProtectedFiles:
    """The files kata tests must not change, read once per session."""
    if PROTECTED not in config.stash:
        catalog = the_catalog(config)
        paths = [catalog.root / catalog_module.CATALOG_FILE]
        for kata in catalog:
            paths += [kata.stub, kata.tests, kata.solution]
        config.stash[PROTECTED] = isolation.ProtectedFiles(paths)
    return config.stash[PROTECTED]


# --- hangs ---------------------------------------------------------------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: object) -> bool | None:
    """For kata tests, a timeout that names where the learner's code was, with SIGALRM
    or, where there is none (Windows) or with --timeout-method=thread, a watchdog."""
    record = judged(item)
    if record is None:
        return None
    method = "signal" if getattr(settings, "method", "signal") == "signal" else "thread"
    if os.environ.get(TIMEOUT_METHOD_VARIABLE) == "thread":
        method = "thread"  # the fallback Windows uses, forced (tox -e nosignal)

    def give_up(text: str) -> None:
        output.last_words(item, text)

    timer = hang.HangTimer(float(settings.timeout), record.learner, method=method, give_up=give_up)  # type: ignore[attr-defined]
    record.timer = timer
    # pytest-timeout cancels the timer as soon as a test fails (pytest_exception_interact,
    # meant for --pdb). The teardown after a failure can hang too (cancelling a task that
    # swallows CancelledError), so the timer runs until the test's protocol ends.
    debugging = item.config.getoption("usepdb", False) or item.config.getoption("trace", False)
    item.cancel_timeout = timer.cancel if debugging else _keep_running  # type: ignore[attr-defined]
    timer.start()
    return True


def _phase(record: Judged, when: str) -> None:
    if record.timer is not None:
        record.timer.when = when


def _keep_running() -> None:
    """What pytest-timeout's cancel does for kata tests: the timer stops in the protocol."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[object]:
    """A failing kata test's report is its diagnosis (setup and teardown failures too)."""
    report: pytest.TestReport = yield
    record = item.stash.get(JUDGED, None)
    if record is not None and record.isolation is not None:
        record.isolation.protect()
    if record is not None and report.failed and call.excinfo is not None:
        timer = record.timer
        if call.when != "call" and timer is not None and call.when in timer.diagnoses:
            found = timer.diagnoses[call.when]
        elif call.when == "call" and record.diagnosis is not None:
            found = record.diagnosis
        else:
            found = explain(call.excinfo.value, record.learner, module=record.module, tests=record.tests)
        if call.when == "teardown" and record.diagnosis is not None:
            output.fold_into_test(item, report, found)  # one failing test, one section
        else:
            if call.when != "call" and record.diagnosis is None:
                record.diagnosis = found
            output.attach(report, item, found)
    return report


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """pytest always exits, even when the learner's code left a thread running forever."""
    isolation.exit_if_threads_remain(config.stash.get(EXIT_STATUS, 1))
