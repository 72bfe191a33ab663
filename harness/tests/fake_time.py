"""A clock and a console for the interactive commands' tests (watch, dojo, interview):
time moves only when the command sleeps, so nothing waits for real."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

from harness.terminal import Console


class FakeTime:
    """A clock that moves only when someone sleeps; things can be planned at a time."""

    __test__ = False

    def __init__(self) -> None:
        self.now = 1000.0
        self.plans: list[tuple[float, Callable[[], None]]] = []

    def clock(self) -> float:
        return self.now

    def at(self, when: float, action: Callable[[], None]) -> None:
        self.plans.append((when, action))

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        due = [plan for plan in self.plans if plan[0] <= self.now]
        self.plans = [plan for plan in self.plans if plan[0] > self.now]
        for _, action in due:
            action()


def fake_console(
    clock: FakeTime,
    read_line: Callable[[], str | None],
    now: Callable[[], float] = time.time,
    answer: str = "n",
) -> Console:
    return Console(
        out=io.StringIO(),
        env={},
        clock=clock.clock,
        now=now,
        sleep=clock.sleep,
        read_line=read_line,
        ask=lambda prompt: answer,
    )
