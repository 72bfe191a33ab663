"""`dojo KATA`: a group, one kata, one keyboard, a timer.

The tests run each time kata.py is saved and on Enter, with the diagnosis of every
failing test (pytest's short report, as `run` shows it), then a verdict line: RED,
AMBER (the tests could not run the code) or GREEN. A countdown shows the time left in
the turn; at the end of each turn the keyboard rotates — the navigator drives, the next
person navigates — and the verdict at that moment is recorded. The dojo ends when the
kata is green, after --turns turns, or on q then Enter; the report per turn is printed
and saved under .harness/dojo/ (report.py).

As in `watch`, a pytest process is started while the group types and waits for the
save (runner.PendingSession), so the verdict comes after the tests' own time, not
after pytest's start-up as well. With --join, each run is also posted to the room's
dashboard (client.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness import progress, runner, stubs
from harness.catalog import Kata
from harness.catalog import load as load_catalog
from harness.dojo import report
from harness.dojo.client import JOINED, SHARING, Dashboard, DashboardError
from harness.dojo.lights import GREEN, Light
from harness.run import pytest_args
from harness.terminal import Console, ask_yes_no, minutes_seconds
from harness.watch import DEFAULT_POLL, QUIT_WORDS, FileWatch, wait_for

WARN_BEFORE = 60.0  # seconds before a rotation when the driver is told to wrap up
ANNOUNCE_EVERY = 60.0  # off a terminal, a "time left" line each minute

WELCOME = "Dojo on {name}: {title}. Turns of {minutes} min. Read {lesson}; the code goes in {stub}."
KEYS = "The tests run each time {stub} is saved; Enter runs them now; q then Enter ends the dojo."
NOT_READY = "{name} cannot run yet: {why}."
TURN = "Turn {turn}: {driver} drives, {navigator} navigates — {minutes} min."
TURN_ALONE = "Turn {turn}: {driver} drives — {minutes} min."
TURN_NOBODY = (
    "Turn {turn}: the navigator takes the keyboard, the next person navigates — {minutes} min."
)
WRAP_UP = "1 minute left in this turn: {driver}, finish the step you are on."
TIME_LEFT = "{left} left in turn {turn}."
COUNTDOWN = "{left} left in turn {turn}{who} — save or Enter runs the tests, q then Enter ends"
ROTATE = "Time! Rotate the keyboard."
AT_ROTATION = "At the rotation: {verdict}"
VERDICT_RED = "RED   {passed} of {total} tests pass"
VERDICT_AMBER = "AMBER the tests could not run your code — {passed} of {total} tests pass"
VERDICT_GREEN = "GREEN all {total} tests pass"
ALREADY_GREEN = (
    "Warning: {name} already passes — every test is green before anyone has typed "
    "(a solved kata.py from an earlier session?)."
)
RESET_QUESTION = "Reset {stub} to the original stub so the group starts from scratch?"
GOES_ON = "The dojo goes on without a reset: it ends on q (or after --turns), not at green."
DONE = "{name} is green after {elapsed} and {turns} turn(s). Well done, everyone."
ENDED = "Dojo ended after {elapsed}, {turns} turn(s); {name} is {state}."
VERDICT_STYLE = {"red": ("red", "bold"), "amber": ("yellow", "bold"), "green": ("green", "bold")}


def people_of(text: str | None) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def pair(people: list[str], turn: int) -> tuple[str | None, str | None]:
    """Who drives and who navigates in ``turn`` (1-based): the navigator drives next."""
    if not people:
        return None, None
    driver = people[(turn - 1) % len(people)]
    navigator = people[turn % len(people)] if len(people) > 1 else None
    return driver, navigator


def announce_turn(console: Console, turn: int, people: list[str], minutes: float) -> None:
    shown = f"{minutes:g}"
    driver, navigator = pair(people, turn)
    if driver is None:
        line = TURN_NOBODY.format(turn=turn, minutes=shown)
    elif navigator is None:
        line = TURN_ALONE.format(turn=turn, driver=driver, minutes=shown)
    else:
        line = TURN.format(turn=turn, driver=driver, navigator=navigator, minutes=shown)
    console.bell()
    console.print(console.style.paint(line, "bold"))


def verdict(light: Light) -> str:
    template = {"red": VERDICT_RED, "amber": VERDICT_AMBER, "green": VERDICT_GREEN}[light.colour]
    return template.format(passed=light.passed, total=light.total)


def show_verdict(console: Console, light: Light, prefix: str = "") -> None:
    text = prefix.format(verdict=verdict(light)) if prefix else verdict(light)
    console.print(console.style.paint(text, *VERDICT_STYLE[light.colour]))


@dataclass
class Turn:
    number: int
    driver: str | None
    navigator: str | None
    started: float  # seconds since the dojo started
    ended: float | None = None
    lights: list[Light] = field(default_factory=list)
    at_rotation: Light | None = None  # the verdict when the keyboard changed hands (or the end)
    green_at: float | None = None  # seconds since the dojo started, when it first went green


@dataclass
class Dojo:
    """What happened: the report is made from this."""

    kata: Kata
    minutes: float
    people: list[str]
    started_at: float  # wall time
    before: Light | None = None  # the run at the start, before turn 1
    turns: list[Turn] = field(default_factory=list)
    green_after: float | None = None
    seconds: float = 0.0
    outcome: str = ""  # green | turns | quit | interrupted


class Countdown:
    """The time left in a turn: a line rewritten in place on a terminal, else a line a
    minute; and the wrap-up warning a minute before the rotation."""

    def __init__(self, console: Console, turn: int, people: list[str], seconds: float) -> None:
        self.console = console
        self.turn = turn
        self.deadline = console.clock() + seconds
        self.driver, navigator = pair(people, turn)
        self.who = f", {self.driver} drives" if self.driver else ""
        if navigator:
            self.who += f", {navigator} navigates"
        self.warned = seconds <= WARN_BEFORE
        self.shown: int | None = None
        # Off a terminal: a line each minute, but not the minute the wrap-up warning says.
        whole_minutes = range(int(seconds // ANNOUNCE_EVERY), 0, -1)
        self.marks = [
            m * ANNOUNCE_EVERY
            for m in whole_minutes
            if m * ANNOUNCE_EVERY < seconds and (self.warned or m * ANNOUNCE_EVERY != WARN_BEFORE)
        ]
        self.on_line = False

    def left(self) -> float:
        return max(0.0, self.deadline - self.console.clock())

    def tick(self, now: float) -> None:
        left = max(0.0, self.deadline - now)
        if not self.warned and left <= WARN_BEFORE:
            self.warned = True
            self.end_line()
            warning = WRAP_UP.format(driver=self.driver or "driver")
            self.console.print(self.console.style.paint(warning, "yellow"))
        if self.console.tty:
            whole = int(left + 0.999)
            if whole != self.shown:
                self.shown = whole
                text = COUNTDOWN.format(left=minutes_seconds(whole), turn=self.turn, who=self.who)
                self.console.out.write("\r\x1b[K" + self.console.style.paint(text, "bold"))
                self.console.out.flush()
                self.on_line = True
            return
        if self.marks and left <= self.marks[0]:
            while self.marks and left <= self.marks[0]:
                self.marks.pop(0)
            if left > 0:
                shown = minutes_seconds(left)
                self.console.print(TIME_LEFT.format(left=shown, turn=self.turn))

    def end_line(self) -> None:
        """Leave the countdown's line before anything else is printed."""
        if self.on_line:
            self.console.out.write("\n")
            self.on_line = False


class KataTests:
    """Runs the kata's tests with pytest's report shown; keeps a warm pytest ready."""

    def __init__(self, root: Path, kata: Kata, console: Console) -> None:
        self.root = root
        self.kata = kata
        self.console = console
        self.catalog = load_catalog(root)
        self.args = pytest_args(console, True)
        self.ready: runner.PendingSession | None = None

    def prepare(self) -> None:
        if self.ready is None:
            self.ready = runner.prepare(self.root, [self.kata], self.args, echo=self.console.out)

    def run(self) -> runner.KataRun:
        key = progress.kata_key(self.kata, progress.environment_key(self.root))
        runs, _ = runner.run_katas(
            self.root,
            self.catalog,
            [self.kata],
            self.args,
            echo=self.console.out,
            prepared=self.ready,
        )
        self.ready = None
        kata_run = runs[self.kata.name]
        progress.remember(self.root, kata_run, key)  # `status` knows it without a run
        return kata_run

    def close(self) -> None:
        if self.ready is not None:
            self.ready.cancel()
            self.ready = None


def dojo_command(
    root: Path,
    kata: Kata,
    console: Console,
    *,
    minutes: float,
    people: list[str],
    turns: int | None = None,
    dashboard: Dashboard | None = None,
    poll: float = DEFAULT_POLL,
) -> int:
    """Run the dojo; ``turns`` limits how many rotations (None: until green or q)."""
    missing = progress.missing_files(kata)
    if missing:
        console.print(NOT_READY.format(name=kata.name, why=missing))
        return 1
    if dashboard is not None:
        try:
            dashboard.join()
        except DashboardError as problem:
            console.print(console.style.paint(str(problem), "red"))
            return 1
        console.print(JOINED.format(url=dashboard.address + "/", team=dashboard.team))
        if dashboard.share_code:
            console.print(SHARING)
    lesson = kata.relative(kata.lesson) if kata.lesson.is_file() else kata.relative(kata.dir)
    stub = kata.relative(kata.stub)
    console.print(
        WELCOME.format(
            name=kata.name, title=kata.title, minutes=f"{minutes:g}", lesson=lesson, stub=stub
        )
    )
    console.print(KEYS.format(stub=stub))
    dojo = Dojo(kata, minutes, people, started_at=console.now())
    session = Session(root, kata, console, dojo, dashboard, poll)
    try:
        session.play(turns)
    except KeyboardInterrupt:
        session.end_line()
        console.print()
        dojo.outcome = "interrupted"
    finally:
        session.tests.close()
        if dashboard is not None:
            dashboard.close()
    dojo.seconds = console.clock() - session.started
    elapsed = minutes_seconds(dojo.seconds)
    last = session.last
    if dojo.outcome == "green":
        done = DONE.format(name=kata.name, elapsed=elapsed, turns=len(dojo.turns))
        console.print(console.style.paint(done, "green"))
    else:
        state = last.colour if last is not None else "not run"
        console.print(
            ENDED.format(elapsed=elapsed, turns=len(dojo.turns), name=kata.name, state=state)
        )
    report.show(dojo, console)
    report.save(root, dojo, console)
    return 0 if last is not None and last.green else 1


class Session:
    """The dojo's loop: turns, waits for a save or a key, runs the tests."""

    def __init__(
        self,
        root: Path,
        kata: Kata,
        console: Console,
        dojo: Dojo,
        dashboard: Dashboard | None,
        poll: float,
    ) -> None:
        self.root = root
        self.kata = kata
        self.console = console
        self.dojo = dojo
        self.dashboard = dashboard
        self.poll = poll
        self.tests = KataTests(root, kata, console)
        self.started = console.clock()
        self.watch = FileWatch(kata.stub)
        self.last: Light | None = None
        self.turn: Turn | None = None
        self.countdown: Countdown | None = None
        self.stop_at_green = True

    def elapsed(self) -> float:
        return self.console.clock() - self.started

    def end_line(self) -> None:
        if self.countdown is not None:
            self.countdown.end_line()

    def play(self, turns: int | None) -> None:
        dojo = self.dojo
        dojo.before = self.test("start", clear=False)
        if dojo.before.green:
            self.offer_reset()
        while turns is None or len(dojo.turns) < turns:
            if self.play_turn(len(dojo.turns) + 1):
                return
        dojo.outcome = dojo.outcome or "turns"

    def offer_reset(self) -> None:
        console = self.console
        console.print(console.style.paint(ALREADY_GREEN.format(name=self.kata.name), "yellow"))
        question = RESET_QUESTION.format(stub=self.kata.relative(self.kata.stub))
        if ask_yes_no(question, console.ask) and stubs.reset(self.kata, console, yes=True) == 0:
            self.watch = FileWatch(self.kata.stub)
            self.dojo.before = self.test("start", clear=False)
            return
        console.print(GOES_ON)
        self.stop_at_green = False

    def play_turn(self, number: int) -> bool:
        """One turn, until its time is up; True when the dojo is over."""
        dojo, console = self.dojo, self.console
        driver, navigator = pair(dojo.people, number)
        self.turn = Turn(number, driver, navigator, started=self.elapsed())
        dojo.turns.append(self.turn)
        seconds = dojo.minutes * 60
        announce_turn(console, number, dojo.people, dojo.minutes)
        if self.dashboard is not None:
            self.dashboard.turn(number, driver, navigator, seconds)
        self.countdown = Countdown(console, number, dojo.people, seconds)
        try:
            while True:
                self.tests.prepare()  # pytest starts now and waits for the save
                event = wait_for(
                    console,
                    self.watch,
                    self.poll,
                    deadline=self.countdown.deadline,
                    on_tick=self.countdown.tick,
                    quit_words=QUIT_WORDS,
                )
                if event == "quit":
                    self.end_line()
                    dojo.outcome = "quit"
                    self.turn.at_rotation = self.last
                    return True
                if event == "deadline":
                    self.rotate()
                    return False
                light = self.test("save" if event == "saved" else "enter")
                if light.green and self.stop_at_green:
                    dojo.outcome = "green"
                    self.turn.at_rotation = light
                    return True
        finally:
            self.turn.ended = self.elapsed()

    def rotate(self) -> None:
        self.end_line()
        self.console.print(self.console.style.paint(ROTATE, "bold"))
        if self.watch.changed() or self.last is None:  # saved in the last instant
            self.test("rotation", clear=False)
        elif self.last is not None:
            show_verdict(self.console, self.last, AT_ROTATION)
        assert self.turn is not None
        self.turn.at_rotation = self.last

    def test(self, trigger: str, *, clear: bool = True) -> Light:
        """Run the tests now, show the verdict, record it (and post it)."""
        console = self.console
        self.end_line()
        if clear:
            console.clear()
        kata_run = self.tests.run()
        at = self.elapsed()
        number = self.turn.number if self.turn else 0
        light = Light.of(kata_run, at=at, wall=console.now(), trigger=trigger, turn=number)
        self.last = light
        console.print()
        show_verdict(console, light)
        if self.countdown is not None and self.turn is not None and not console.tty:
            left = minutes_seconds(self.countdown.left())
            console.print(TIME_LEFT.format(left=left, turn=self.turn.number))
        if self.turn is not None:
            self.turn.lights.append(light)
            if light.colour == GREEN and self.dojo.green_after is None:
                self.turn.green_at = self.dojo.green_after = at
        if self.dashboard is not None:
            driver, navigator = (
                (self.turn.driver, self.turn.navigator) if self.turn else (None, None)
            )
            code = self.read_stub() if self.dashboard.share_code else None
            self.dashboard.run(light, driver, navigator, code)
            for problem in self.dashboard.problems():
                console.print(console.style.paint(problem, "yellow"))
        return light

    def read_stub(self) -> str | None:
        try:
            return self.kata.stub.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
