"""The pytest plugin: what is under test, the ``kata`` fixture, the local services,
and the diagnoses that turn asyncio mistakes into messages for the learner.

Options:
  --solutions   run every selected kata against solutions/NN_slug/kata.py
  --impl PATH   run one kata against any file (a known-wrong variant, an answer kept elsewhere)
"""

from __future__ import annotations

import gc
import sys
import traceback
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from harness import catalog as catalog_module
from harness import database, diagnosis, loader
from harness.catalog import Catalog, Kata
from harness.services import FakeService, ServiceFactory

GUARD = pytest.StashKey[diagnosis.BlockingGuard]()
TIMER = pytest.StashKey[diagnosis.HangTimer]()
ORIGIN_TRACKING_DEPTH = 32  # so "never awaited" can say where the coroutine was made

IMPL_ONE_KATA = (
    "--impl runs one kata against one file, but {count} katas are selected ({names}). "
    "Name one kata folder, e.g.: pytest katas/02_gather --impl PATH"
)
IMPL_MISSING = "--impl {path}: no such file. Give the path of a .py file with the kata's functions."
IMPL_WITH_SOLUTIONS = "--impl and --solutions choose what is under test: use one of them."


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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "workload: the test whose run `python -m harness bench` times"
    )
    impl = config.getoption("impl")
    if impl is not None:
        if config.getoption("solutions"):
            raise pytest.UsageError(IMPL_WITH_SOLUTIONS)
        if not Path(impl).is_file():
            raise pytest.UsageError(IMPL_MISSING.format(path=impl))
        selected = the_catalog(config).selected_by(_positional_args(config))
        if len(selected) != 1:
            names = ", ".join(k.name for k in selected) or "none"
            raise pytest.UsageError(IMPL_ONE_KATA.format(count=len(selected), names=names))
    sys.set_coroutine_origin_tracking_depth(ORIGIN_TRACKING_DEPTH)


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


def pytest_report_header(config: pytest.Config) -> str:
    if config.getoption("impl"):
        return f"katas under test: {config.getoption('impl')} (--impl)"
    if config.getoption("solutions"):
        return "katas under test: the reference solutions in solutions/ (--solutions)"
    return "katas under test: your files, katas/NN_slug/kata.py"


# --- what is under test ----------------------------------------------------------------
def file_under_test(config: pytest.Config, kata: Kata) -> tuple[Path, str]:
    """The path of the module to test for ``kata`` and its unique module name."""
    impl = config.getoption("impl")
    if impl is not None:
        return Path(impl).resolve(), loader.module_name("impl", kata.name)
    if config.getoption("solutions"):
        return kata.solution, loader.module_name("solution", kata.name)
    return kata.stub, loader.module_name("kata", kata.name)


def kata_of(item: pytest.Item) -> Kata | None:
    return the_catalog(item.config).containing(Path(item.path))


@pytest.fixture
def kata(request: pytest.FixtureRequest) -> Iterator[loader.KataModule]:
    """The module under test for this kata: the learner's kata.py, a solution or --impl."""
    entry = kata_of(request.node)
    if entry is None:
        pytest.fail(f"{request.node.path} is not inside a kata folder listed in katas.toml")
    path, name = file_under_test(request.config, entry)
    module = loader.load(path, name, shown_as=entry.relative(path))
    guard = diagnosis.BlockingGuard(str(path))
    request.node.stash[GUARD] = guard
    with guard.active():
        yield module
    sys.modules.pop(name, None)


@pytest.fixture
def kata_file(request: pytest.FixtureRequest, kata: loader.KataModule) -> Path:
    """The path of the file under test (for LoopMonitor and messages)."""
    return Path(request.node.stash[GUARD].kata_file)


# --- local services ------------------------------------------------------------------------
@pytest.fixture
async def fake_service() -> AsyncIterator[ServiceFactory]:
    """A factory: ``service = await fake_service({"/coffee": {"latency": 0.1}})``."""
    factory = ServiceFactory()
    yield factory
    await factory.close()


@pytest.fixture
async def service(fake_service: ServiceFactory) -> FakeService:
    """One running fake service with no routes yet: add them with ``service.route``."""
    return await fake_service()


shop_db = database.shop_db


# --- diagnoses -----------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Run the test, then put the root cause first: blocking, a forgotten await, a stub."""
    guard = item.stash.get(GUARD, None)
    if guard is None:
        return (yield)
    with warnings.catch_warnings(record=True) as caught:
        warnings.filterwarnings("always", message=diagnosis.NEVER_AWAITED, category=RuntimeWarning)
        # Sockets left open when blockbuster interrupts a sync client are a consequence,
        # not a cause: they are dropped when a blocking call explains the failure.
        warnings.filterwarnings("always", category=ResourceWarning)
        gc.freeze()  # the collection below then only walks what this test created
        try:
            yield
            failure = None
        except BaseException as error:  # noqa: BLE001 - re-raised below unless explained
            failure = error
        summary = f"{type(failure).__name__}: {failure}"
        if guard.seen and failure is not None:
            traceback.clear_frames(failure.__traceback__)  # let its sockets be collected
            failure = None
        gc.collect()  # finalise forgotten coroutines now, inside this test
        gc.unfreeze()
    causes = [call.explain() for call in guard.seen[:1]]
    causes += diagnosis.never_awaited(caught, guard.kata_file)
    if failure is not None and not causes:
        stub = diagnosis.unfinished_stub(failure, guard.kata_file)
        causes = [stub] if stub else []
    if causes:
        explained = (AssertionError, NotImplementedError)
        if failure is not None and not isinstance(failure, explained):
            causes.append(f"(the test then failed with {summary})")
        pytest.fail("\n".join(causes), pytrace=False)
    for other in caught:
        if other.category is ResourceWarning:
            warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
    if failure is not None:
        raise failure
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: object) -> bool | None:
    """For kata tests, a timeout that names where the learner's code was waiting."""
    entry = kata_of(item)
    if entry is None or getattr(settings, "method", "signal") != "signal":
        return None
    path, _ = file_under_test(item.config, entry)
    timer = diagnosis.HangTimer(float(settings.timeout), str(path))  # type: ignore[attr-defined]
    item.stash[TIMER] = timer
    # pytest-timeout cancels the timer as soon as a test fails (pytest_exception_interact,
    # meant for --pdb). The teardown after a failure can hang too (cancelling a task that
    # swallows CancelledError), so the timer runs until the test's protocol ends.
    debugging = item.config.getoption("usepdb", False) or item.config.getoption("trace", False)
    item.cancel_timeout = timer.cancel if debugging else _keep_running  # type: ignore[attr-defined]
    timer.start()
    return True


def _keep_running() -> None:
    """What pytest-timeout's cancel does for kata tests: the timer stops in the protocol."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[object]:
    """Stop a kata test's hang timer once its teardown is over, not before."""
    try:
        return (yield)
    finally:
        timer = item.stash.get(TIMER, None)
        if timer is not None:
            timer.cancel()
