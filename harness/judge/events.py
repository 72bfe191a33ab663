"""A pytest plugin that writes what happens in a run as JSON lines, for the harness CLI.

The CLI loads it with ``-p harness.judge.events`` and names the file in ``HARNESS_EVENTS``.
Each line is written and flushed as it happens, so when the test process dies (a
crash, ``os._exit``, a kill after a hang) the lines already written still say which
tests finished and which one was running. Durations are pytest's own, per phase, so
``bench`` can time the call phase alone.

With ``HARNESS_GO`` set, the session waits before it starts (see :func:`wait_for_go`).

Events: ``session`` (the per-test timeout), ``collecting`` (a test file), ``collected``
(one test that will run), ``collect_error``, ``start`` (a test begins), ``report`` (one phase of a
test ends), ``finish`` (a test ends), ``done`` (the session ends), ``exit`` (pytest is
done; the interpreter shuts down next). Each carries ``t``, the wall time it happened.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from harness.judge.output import DIAGNOSIS_ATTRIBUTE

EVENTS_VARIABLE = "HARNESS_EVENTS"
# A warm start (`watch`): pytest, this plugin and the kata plugin are imported, then the
# session waits here until the harness creates the file named by HARNESS_GO. The test
# files are collected after that, so they are read as they are when the learner saves.
GO_VARIABLE = "HARNESS_GO"
GO_POLL = 0.005
MESSAGE_LIMIT = 2000  # characters of a failure message worth keeping


class EventLog:
    def __init__(self, path: str) -> None:
        self._file: IO[str] = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed at unconfigure

    def write(self, event: str, **fields: Any) -> None:
        # pid: after a fork two processes could write here; the harness reads its own.
        line = {"event": event, "t": time.time(), "pid": os.getpid(), **fields}
        self._file.write(json.dumps(line) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


_LOG = pytest.StashKey[EventLog]()
# Some hooks (logstart, logfinish, collectreport) receive no config: keep the one served.
_CONFIG: pytest.Config | None = None


def _log(config: pytest.Config) -> EventLog | None:
    return config.stash.get(_LOG, None)


def pytest_configure(config: pytest.Config) -> None:
    global _CONFIG
    path = os.environ.get(EVENTS_VARIABLE)
    if path:
        config.stash[_LOG] = EventLog(path)
        _CONFIG = config


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    log = _log(config)
    if log is not None:
        log.write("exit")  # pytest has finished; what follows is the interpreter's shutdown
        log.close()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    log = _log(session.config)
    if log is None:
        return
    go = os.environ.get(GO_VARIABLE)
    if go:
        wait_for_go(Path(go))
    try:
        timeout = session.config.getoption("timeout", None) or session.config.getini("timeout")
        timeout = float(timeout) if timeout else None
    except (ValueError, TypeError):
        timeout = None
    log.write("session", timeout=timeout, rootdir=str(session.config.rootpath))


def wait_for_go(go: Path) -> None:
    parent = os.getppid()
    while not go.exists():
        if os.getppid() != parent:  # the harness is gone: nobody will say go
            os._exit(0)
        time.sleep(GO_POLL)


def pytest_collectstart(collector: pytest.Collector) -> None:
    log = _log(collector.config)
    if log is not None and isinstance(collector, pytest.Module):
        log.write("collecting", file=str(collector.path))


def pytest_collectreport(report: pytest.CollectReport) -> None:
    log = _served()
    if log is not None and report.failed:
        path = Path(str(report.fspath)).resolve() if report.fspath else None
        log.write("collect_error", file=str(path) if path else None, message=_text(report))


def pytest_collection_finish(session: pytest.Session) -> None:
    # After collection and deselection (-m workload): exactly the tests that will run.
    log = _log(session.config)
    if log is None:
        return
    for item in session.items:
        workload = item.get_closest_marker("workload") is not None
        log.write("collected", nodeid=item.nodeid, file=str(item.path), workload=workload)


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    if (log := _served()) is not None:
        log.write("start", nodeid=nodeid)


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    if (log := _served()) is not None:
        log.write("finish", nodeid=nodeid)


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: the kata plugin has judged it
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report: pytest.TestReport = yield
    log = _log(item.config)
    if log is not None:
        diagnosis = getattr(report, DIAGNOSIS_ATTRIBUTE, None) if report.failed else None
        if diagnosis is not None:
            message = str(diagnosis["text"])[:MESSAGE_LIMIT]
        else:
            message = _failure_message(call) if report.failed else ""
        log.write(
            "report",
            nodeid=report.nodeid,
            when=report.when,
            outcome=report.outcome,
            duration=report.duration,
            message=message,
            diagnosis=diagnosis,
            error=_error_kind(call),
        )
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    log = _log(session.config)
    if log is not None:
        log.write("done", exitstatus=int(exitstatus))


def _served() -> EventLog | None:
    """The log, for the hooks that receive no config."""
    return _log(_CONFIG) if _CONFIG is not None else None


def _failure_message(call: pytest.CallInfo[None]) -> str:
    """The learner's message: the text of a pytest.fail or assert, else the exception."""
    if call.excinfo is None:
        return ""
    value = call.excinfo.value
    if isinstance(value, (AssertionError, pytest.fail.Exception)) and str(value):
        text = str(value)
    else:
        text = call.excinfo.exconly()
    return text[:MESSAGE_LIMIT]


def _text(report: pytest.CollectReport) -> str:
    text = report.longreprtext or ""
    # The last "E   " lines of a collection error say what went wrong; keep them first.
    errors = [line[4:] for line in text.splitlines() if line.startswith("E   ")]
    return ("\n".join(errors) or text)[:MESSAGE_LIMIT]


def _error_kind(call: pytest.CallInfo[None]) -> dict[str, Any] | None:
    """The failure's type, and whether it was an Exception (SystemExit and the like are not)."""
    if call.excinfo is None:
        return None
    value = call.excinfo.value
    return {"type": type(value).__name__, "exception": isinstance(value, Exception)}
