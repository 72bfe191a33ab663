"""What pytest prints for kata tests: one short report per failing test, nothing else.

- A failing kata test's report is its :class:`Diagnosis`, headed by the test's sentence
  name: no test source, fixture reprs, assertion introspection or library frames. An
  identical diagnosis is printed once; later tests say "same as above".
- Captured output is cut to its last lines.
- When a run covers several katas (bare ``pytest``), a test that fails only because its
  function is still a stub counts as "to do", not as a failure to read, and a progress
  table closes the run.
- pytest's own traceback is one flag away (``--tb=long``); the run says so once.

Anything explicit on the command line (``--tb=...``, ``--full-trace``) gives pytest's
report back unchanged.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.catalog import Catalog
from harness.judge.hang import _real_exit
from harness.judge.report import Diagnosis

TODO = "to do"  # the report category of a stub's failing test in a multi-kata run
CAPTURE_LINES = 10  # of captured stdout/stderr/log kept in a failure's report
CAPTURE_WIDTH = 200  # characters of each of those lines
FULL_TRACEBACK = "pytest's own traceback of these failures: add --tb=long"
SAME_AS_ABOVE = "same as above: {what}"
NEXT = "Next: pytest katas/{number:02d}   (stuck? python -m harness hint {number})"
DIAGNOSIS_ATTRIBUTE = "kata_diagnosis"  # on a TestReport: the diagnosis as a dict (events)
FOLDED_ATTRIBUTE = "kata_folded"  # a teardown failure told in its test's own report
SHOWN = pytest.StashKey["tuple[pytest.TestReport, Diagnosis]"]()


def short_mode(config: pytest.Config) -> bool:
    return config.option.tbstyle == "auto" and not config.option.fulltrace


def hints_shown(config: pytest.Config) -> bool:
    return not config.getoption("interview")


class ShortRepr:
    """A report body pytest prints as is; the first line is the headline, in red."""

    def __init__(self, text: str) -> None:
        self.text = text

    def toterminal(self, out: object) -> None:
        first, _, rest = self.text.partition("\n")
        out.line(first, red=True, bold=True)  # type: ignore[attr-defined]
        if rest:
            out.line(rest)  # type: ignore[attr-defined]

    def __str__(self) -> str:
        return self.text


def attach(report: pytest.TestReport, item: pytest.Item, diagnosis: Diagnosis) -> None:
    """Make ``report`` (a failing kata test's) say ``diagnosis``."""
    setattr(report, DIAGNOSIS_ATTRIBUTE, diagnosis.as_dict(hints=hints_shown(item.config)))
    plugin: ShortReports | None = item.config.pluginmanager.get_plugin("kata-short-reports")
    if plugin is None or not short_mode(item.config):
        return
    text = diagnosis.render(hints=hints_shown(item.config))
    if text in plugin.shown:
        text = SAME_AS_ABOVE.format(what=first_sentence(diagnosis.what))
    plugin.shown.add(text)
    report.longrepr = ShortRepr(text)
    item.stash[SHOWN] = (report, diagnosis)
    path, line, _ = report.location
    report.location = (path, line, sentence(item.name))
    report.sections = [(title, _tail(body)) for title, body in report.sections]


def add_also(item: pytest.Item, record: object, *lines: str) -> None:
    """Findings of the teardown join the failing test's report (printed at the end)."""
    shown = item.stash.get(SHOWN, None)
    if shown is None:
        return
    report, diagnosis = shown
    updated = diagnosis.with_also(*lines)
    setattr(report, DIAGNOSIS_ATTRIBUTE, updated.as_dict(hints=hints_shown(item.config)))
    if isinstance(report.longrepr, ShortRepr) and not report.longrepr.text.startswith("same as above"):
        report.longrepr.text = updated.render(hints=hints_shown(item.config))
    item.stash[SHOWN] = (report, updated)


def fold_into_test(item: pytest.Item, report: pytest.TestReport, diagnosis: Diagnosis) -> None:
    """A failure in the teardown of a test that already failed joins its report."""
    where = f" ({diagnosis.where[-1]})" if diagnosis.where else ""
    add_also(item, None, diagnosis.what.rstrip(":") + where)
    setattr(report, FOLDED_ATTRIBUTE, True)


def last_words(item: pytest.Item, text: str) -> None:
    """The process is about to end in the middle of a test: say why, on the terminal."""
    capture = item.config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        capture.suspend_global_capture(in_=True)
    sys.stderr.write(f"\n\n{'_' * 20} {sentence(item.name)} {'_' * 20}\n{text}\n")
    sys.stderr.flush()
    _real_exit(1)


def first_sentence(text: str, limit: int = 160) -> str:
    first = text.splitlines()[0] if text else ""
    if ". " in first:
        first = first.split(". ", 1)[0] + "."
    return first if len(first) <= limit else first[: limit - 1] + "…"


def sentence(test_name: str) -> str:
    """``test_eight_dishes_are_ordered`` -> ``eight dishes are ordered``."""
    name = test_name.split("[", 1)[0].removeprefix("test_").replace("_", " ")
    params = test_name[len(test_name.split("[", 1)[0]) :]
    return name + (f" {params}" if params else "")


def _tail(text: str) -> str:
    """The last lines of captured output, each cut to a screen's width or so."""
    lines = text.rstrip("\n").splitlines()
    shown = [_cut(line) for line in lines[-CAPTURE_LINES:]]
    if len(lines) > CAPTURE_LINES:
        cut = len(lines) - CAPTURE_LINES
        shown.insert(0, f"({cut} earlier lines not shown; run with -s to see all output)")
    return "\n".join(shown)


def _cut(line: str) -> str:
    if len(line) <= CAPTURE_WIDTH:
        return line
    return f"{line[:CAPTURE_WIDTH]}… ({len(line) - CAPTURE_WIDTH:,} more characters)"


@dataclass
class KataTally:
    tests: set[str] = field(default_factory=set)
    outcomes: Counter[str] = field(default_factory=Counter)


class ShortReports:
    """The terminal side of the kata plugin, registered at configure time."""

    def __init__(self, config: pytest.Config, catalog: Catalog) -> None:
        self.config = config
        self.catalog = catalog
        self.shown: set[str] = set()
        self.tally: dict[str, KataTally] = {}
        self._outcome: dict[str, str] = {}  # nodeid -> passed | failed | to do
        self._todo: set[str] = set()
        self._many_katas: bool | None = None

    # --- which katas the session covers ---------------------------------------------------
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            kata = self.catalog.containing(Path(item.path))
            if kata is not None:
                self.tally.setdefault(kata.name, KataTally()).tests.add(item.nodeid)
        self._many_katas = len(self.tally) > 1

    # --- per test ---------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        if getattr(report, FOLDED_ATTRIBUTE, False):
            return "", "", ""  # already counted, and told, as the test's failure
        diagnosis = getattr(report, DIAGNOSIS_ATTRIBUTE, None)
        if diagnosis is None or not report.failed:
            return None
        if self._many_katas and _is_stub(diagnosis) and short_mode(self.config):
            self._todo.add(report.nodeid)
            return TODO, "-", "TO DO"
        if report.when != "call":  # a failure in setup or teardown is still the test's failure
            return "failed", "F", "FAILED"
        return None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" and report.passed:
            self._outcome.setdefault(report.nodeid, "passed")
        elif report.failed:
            self._outcome[report.nodeid] = TODO if report.nodeid in self._todo else "failed"

    # --- the end of the run ----------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        shown_any = any(self._outcome.get(n) == "failed" for t in self.tally.values() for n in t.tests)
        if self._many_katas:
            self._progress(terminalreporter)
        if shown_any and short_mode(self.config):
            terminalreporter.write_line(FULL_TRACEBACK)

    def _progress(self, reporter: pytest.TerminalReporter) -> None:
        reporter.write_sep("=", "your progress")
        passed_katas = 0
        next_kata = None
        for kata in self.catalog:
            tally = self.tally.get(kata.name)
            if tally is None:
                continue
            outcomes = Counter(self._outcome.get(nodeid, "not run") for nodeid in tally.tests)
            total = len(tally.tests)
            if outcomes["passed"] == total:
                passed_katas += 1
                mark, state = "✓", f"{total} of {total}{_unit(kata)} pass"
            elif outcomes[TODO] == total:
                mark, state = "·", "not started"
            else:
                mark, state = "✗", f"{outcomes['passed']} of {total}{_unit(kata)} pass"
                if outcomes[TODO]:
                    state += f", {outcomes[TODO]} still stubs"
            if next_kata is None and outcomes["passed"] != total:
                next_kata = kata
            reporter.write_line(f"  {mark} {kata.name:<28} {state}")
        reporter.write_line(f"{passed_katas} of {len(self.tally)} katas pass.")
        if next_kata is not None:
            reporter.write_line(NEXT.format(number=next_kata.number))


def _is_stub(diagnosis: dict[str, object]) -> bool:
    return "is still a stub" in str(diagnosis.get("what", ""))


def _unit(kata: object) -> str:
    return " steps" if getattr(kata, "steps", False) else ""
