"""`python -m harness dojo bench`: the dojo's two numbers, measured on this machine.

1. The dashboard under load: N teams (30) each post a test run every second for S
   seconds (60) to a room on 127.0.0.1, while the page is open in headless Chromium.
   Every light the page shows is counted (none may be lost), and the lag from the
   moment a run is posted to the moment its light is in the page's DOM is measured
   (the page stamps each light with Date.now(); both clocks are this machine's).
2. Save to verdict: a dojo runs on a copy of one kata; the bench saves kata.py
   (alternately the stub and the reference solution) and times each save until the
   RED or GREEN line is on the dojo's screen. It is compared with the kata's own test
   time: the wall time of `pytest katas/NN_slug`, what a learner waits for when they
   run the tests by hand.

A benchmark, not a test: it takes a minute or two and is never part of the test command.
"""

from __future__ import annotations

import asyncio
import io
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from harness import runner, stubs
from harness.catalog import CATALOG_FILE, Kata
from harness.catalog import load as load_catalog
from harness.dojo import browser, local
from harness.dojo.client import room_address
from harness.dojo.room import Room
from harness.dojo.server import ServerThread
from harness.progress import CONFIG_FILES
from harness.terminal import Console

DRAIN = 10.0  # seconds the page gets to show the last lights
SAVES = 6  # saves timed in the second part, half red, half green
PAUSE = 1.5  # seconds between two saves: people type; the warm pytest gets ready
OWN_RUNS = 3  # cold `pytest katas/NN` runs; the median is the kata's own test time
TARGET_LAG_MS = 200.0
TURN_SECONDS = 20
BENCH_KATA = "02_gather"
PEOPLE = ("ana", "bo", "cy", "dee", "eli")
SCREENSHOT = Path(".artifacts") / "dojo-bench.png"  # under the repository, git-ignored
TARGET_RATIO = 1.2

LOAD_HEADER = (
    "Dashboard: {teams} teams, a run each per second for {seconds:g} s, page in headless Chromium"
)
LOAD_POSTED = "  posted {posted} runs ({refused} refused), the page shows {shown}: {lost} lost"
LOAD_LAG = (
    "  post → light in the page: median {median:.0f} ms, 95th percentile {p95:.0f} ms, "
    "min {least:.0f} ms, max {worst:.0f} ms (target: median ≤ {target:.0f} ms)"
)
NO_BROWSER = "  not measured: {why}"
SAVE_HEADER = "Save → verdict on the dojo screen, {kata} ({saves} saves, alternately the stub and the solution)"
SAVE_OWN = "  the kata's own test time (`pytest {tests}`, median of {runs}): {own:.2f} s"
SAVE_INSIDE = "  (of which the tests themselves, as pytest times them: {inside:.2f} s)"
SAVE_LINE = (
    "  {colour:<5} median {median:.2f} s, max {worst:.2f} s — {ratio:.2f}× the kata's own test time"
)
SAVE_TARGET = "  target: within {target:g}× — {verdict}"


# --- the dashboard under load ------------------------------------------------------------------
@dataclass
class Load:
    teams: int
    seconds: float
    sent: dict[str, list[float]] = field(default_factory=dict)  # team -> wall time of each post
    refused: int = 0
    shown: dict[str, list[float]] = field(default_factory=dict)  # team -> Date.now() of each light

    @property
    def posted(self) -> int:
        return sum(len(times) for times in self.sent.values())

    @property
    def shown_count(self) -> int:
        return sum(len(times) for times in self.shown.values())

    def lags_ms(self) -> list[float]:
        lags = []
        for team, sent in self.sent.items():
            for posted, shown in zip(sent, self.shown.get(team, []), strict=False):
                lags.append(shown - posted * 1000)
        return sorted(lags)


async def post_runs(url: str, load: Load) -> None:
    """Every team joins, then posts a run each second, the teams spread over the second."""
    base = room_address(url)
    names = [f"pair-{number:02d}" for number in range(1, load.teams + 1)]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        for name in names:
            async with session.post(
                f"{base}/join", json={"team": name, "kata": BENCH_KATA}
            ) as answer:
                answer.raise_for_status()
        start = time.monotonic() + 0.5

        async def team(index: int, name: str) -> None:
            sent = load.sent.setdefault(name, [])
            luck = random.Random(index)  # each pair its own road from red to green
            for second in range(int(load.seconds)):
                due = start + second + index / load.teams
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                progress = second / load.seconds
                draw = luck.random()
                colour = "amber" if draw < 0.1 else "green" if draw < 0.1 + progress else "red"
                run = {
                    "team": name,
                    "kata": BENCH_KATA,
                    "colour": colour,
                    "passed": 3 if colour == "green" else luck.randint(0, 2),
                    "total": 3,
                    "turn": 1 + second // TURN_SECONDS,
                }
                if second % TURN_SECONDS == 0:  # a rotation: the page shows it and counts down
                    turn = {
                        "team": name,
                        "turn": 1 + second // TURN_SECONDS,
                        "driver": PEOPLE[(index + second // TURN_SECONDS) % len(PEOPLE)],
                        "navigator": PEOPLE[(index + 1 + second // TURN_SECONDS) % len(PEOPLE)],
                        "seconds_left": TURN_SECONDS,
                    }
                    async with session.post(f"{base}/turns", json=turn) as answer:
                        load.refused += answer.status != 200
                posted = time.time()
                async with session.post(f"{base}/runs", json=run) as answer:
                    if answer.status == 200:
                        sent.append(posted)
                    else:
                        load.refused += 1

        await asyncio.gather(*(team(index, name) for index, name in enumerate(names)))


def dashboard_load(teams: int, seconds: float, screenshot: Path | None = None) -> Load:
    load = Load(teams, seconds)
    room = Room(BENCH_KATA, "gather: run independent requests together")
    with ServerThread(room) as url, browser.launched() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.wait_for_selector("#connection.live", timeout=10_000)
        # Playwright's sync API holds this thread's event loop: the teams post from another.
        teams_thread = threading.Thread(target=asyncio.run, args=(post_runs(url, load),))
        teams_thread.start()
        while teams_thread.is_alive():
            page.wait_for_timeout(200)  # lets Playwright read what the browser sends
        teams_thread.join()
        deadline = time.monotonic() + DRAIN
        while time.monotonic() < deadline:
            if int(page.text_content("#light-count") or 0) >= load.posted:
                break
            time.sleep(0.2)
        rows = page.eval_on_selector_all(
            ".team",
            "rows => rows.map(row => [row.dataset.team,"
            " [...row.querySelectorAll('.light')].map(light => Number(light.dataset.shownAt))])",
        )
        load.shown = {team: shown for team, shown in rows}
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot))
        page.close()
    return load


def show_load(load: Load, console: Console) -> bool:
    console.print(
        console.style.paint(LOAD_HEADER.format(teams=load.teams, seconds=load.seconds), "bold")
    )
    lost = load.posted - load.shown_count
    console.print(
        LOAD_POSTED.format(
            posted=load.posted, refused=load.refused, shown=load.shown_count, lost=lost
        )
    )
    lags = load.lags_ms()
    if not lags:
        return False
    p95 = lags[min(len(lags) - 1, int(len(lags) * 0.95))]
    median = statistics.median(lags)
    console.print(
        LOAD_LAG.format(median=median, p95=p95, least=lags[0], worst=lags[-1], target=TARGET_LAG_MS)
    )
    return lost == 0 and load.refused == 0 and median <= TARGET_LAG_MS


# --- save to verdict ----------------------------------------------------------------------------
class Screen(io.StringIO):
    """The dojo's screen: remembers when each verdict line was written."""

    def __init__(self) -> None:
        super().__init__()
        self.verdicts: list[tuple[float, str]] = []
        self.changed = threading.Condition()

    def write(self, text: str) -> int:
        now = time.perf_counter()
        for line in text.splitlines():
            if line.startswith(("RED", "AMBER", "GREEN")):
                with self.changed:
                    self.verdicts.append((now, line.split()[0]))
                    self.changed.notify_all()
        return super().write(text)


def copy_kata(root: Path, kata: Kata, into: Path) -> Kata:
    """A checkout with only ``kata`` (and the solution in its kata.py), to save into freely."""
    (into / "katas").mkdir(parents=True)
    shutil.copy2(root / CATALOG_FILE, into / CATALOG_FILE)
    shutil.copytree(kata.dir, into / "katas" / kata.name)
    for name in CONFIG_FILES:
        if (root / name).is_file():
            shutil.copy2(root / name, into / name)
    copied = load_catalog(into).get(kata.name)
    assert copied is not None
    shutil.copy2(kata.solution, copied.stub)
    return copied


def tests_inside_pytest(checkout: Path, kata: Kata) -> float:
    """The time pytest itself reports for the kata's tests (every phase, no start-up)."""
    runs, _ = runner.run_katas(checkout, load_catalog(checkout), [kata], ["-q", "--tb=no"])
    return sum(test.seconds for test in runs[kata.name].tests)


def own_test_time(checkout: Path, kata: Kata) -> float:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        kata.relative(kata.tests),
    ]
    env = runner.environment(checkout / "unused-events")
    env.pop(runner.EVENTS_VARIABLE)
    walls = []
    for _ in range(OWN_RUNS):
        started = time.perf_counter()
        subprocess.run(command, cwd=checkout, env=env, capture_output=True, check=False)
        walls.append(time.perf_counter() - started)
    return statistics.median(walls)


def save_to_verdict(
    root: Path, kata: Kata, saves: int = SAVES
) -> tuple[float, float, dict[str, list[float]]]:
    """The kata's own test time, its tests' time inside pytest, and the save-to-verdict
    seconds by colour."""
    # Red saves: the pristine stub (fails fast), else a known-wrong variant (fails slower).
    wrong = kata.wrong_variants[0].read_bytes() if kata.wrong_variants else None
    red = stubs.pristine(root, [kata]).get(kata.name) or wrong
    if red is None:
        raise ValueError(f"{kata.name} has no pristine stub nor wrong_*.py to save as red")
    with tempfile.TemporaryDirectory(prefix="dojo-bench-") as folder:
        checkout = Path(folder)
        copied = copy_kata(root, kata, checkout)
        own = own_test_time(checkout, copied)
        inside = tests_inside_pytest(checkout, copied)
        solution = copied.stub.read_bytes()
        screen = Screen()
        quit_now = threading.Event()
        console = Console(
            out=screen,
            env={"NO_COLOR": "1"},
            read_line=lambda: "q" if quit_now.is_set() else None,
            ask=lambda question: "n",  # already green: no reset, and green does not end it
        )
        dojo = threading.Thread(
            target=local.dojo_command,
            args=(checkout, copied, console),
            kwargs={"minutes": 60, "people": []},
            daemon=True,
        )
        dojo.start()
        timings: dict[str, list[float]] = {"RED": [], "GREEN": []}
        try:
            wait_for_verdicts(screen, 1)
            for number in range(saves):
                time.sleep(PAUSE)
                content = red if number % 2 == 0 else solution
                seen = len(screen.verdicts)
                copied.stub.write_bytes(content + f"\n# save {number}\n".encode())
                saved = time.perf_counter()
                wait_for_verdicts(screen, seen + 1)
                shown_at, colour = screen.verdicts[seen]
                timings.setdefault(colour, []).append(shown_at - saved)
        finally:
            quit_now.set()
            dojo.join(timeout=30)
    return own, inside, timings


def wait_for_verdicts(screen: Screen, count: int, timeout: float = 60.0) -> None:
    with screen.changed:
        if not screen.changed.wait_for(lambda: len(screen.verdicts) >= count, timeout):
            raise TimeoutError(f"the dojo showed no verdict within {timeout:g} s")


def show_saves(
    kata: Kata, own: float, inside: float, timings: dict[str, list[float]], console: Console
) -> bool:
    saves = sum(len(values) for values in timings.values())
    console.print(console.style.paint(SAVE_HEADER.format(kata=kata.name, saves=saves), "bold"))
    console.print(SAVE_OWN.format(tests=kata.relative(kata.tests), runs=OWN_RUNS, own=own))
    console.print(SAVE_INSIDE.format(inside=inside))
    worst_ratio = 0.0
    for colour, values in timings.items():
        if not values:
            continue
        median = statistics.median(values)
        worst_ratio = max(worst_ratio, median / own)
        console.print(
            SAVE_LINE.format(colour=colour, median=median, worst=max(values), ratio=median / own)
        )
    ok = worst_ratio <= TARGET_RATIO
    verdict = "met" if ok else "NOT met"
    console.print(SAVE_TARGET.format(target=TARGET_RATIO, verdict=verdict))
    return ok


def bench_command(
    root: Path, console: Console, *, kata: Kata | None, teams: int, seconds: float
) -> int:
    catalog = load_catalog(root)
    chosen = kata or catalog.get("02") or catalog[0]
    results = []
    why = browser.missing()
    if why:
        console.print(LOAD_HEADER.format(teams=teams, seconds=seconds))
        console.print(NO_BROWSER.format(why=why))
        results.append(False)
    else:
        results.append(show_load(dashboard_load(teams, seconds, root / SCREENSHOT), console))
    console.print()
    own, inside, timings = save_to_verdict(root, chosen)
    results.append(show_saves(chosen, own, inside, timings, console))
    return 0 if all(results) else 1
