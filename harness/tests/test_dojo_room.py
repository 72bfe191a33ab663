"""A room end to end: three checkouts of the fake curriculum, three dojos in their own
processes (`python -m harness dojo ... --join URL --team NAME`), one dashboard."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.catalog import ROOT
from harness.dojo.client import post_json, room_address
from harness.dojo.room import Room
from harness.dojo.server import ServerThread
from harness.state import write_atomically
from harness.tests import fake_curriculum as fake

pytestmark = pytest.mark.timeout(90)

TURN_MINUTES = "0.08"  # turns of 4.8 s: time for two saves and their runs on a busy machine


def start_dojo(checkout: Path, url: str, team: str, turns: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "harness", "--root", str(checkout), "dojo", "add"]
        + ["--join", url, "--team", team, "--minutes", TURN_MINUTES, "--turns", str(turns)]
        + ["--people", "ana,bo"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,  # no keyboard: the dojo goes on saves and the clock
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds:g} s for {what}"
        time.sleep(0.05)


def save(checkout: Path, text: str) -> None:
    """Save kata.py at once, as an editor that renames into place does: a dojo that looks
    in the middle of a plain write could run a half-written file (and rightly say so)."""
    write_atomically(checkout / "katas" / "01_add" / "kata.py", text)


def runs_of(room: Room, team: str) -> list[dict]:
    found = room.teams.get(team)
    return list(found.runs) if found else []


def started(room: Room, team: str, dojo: subprocess.Popen) -> bool:
    """The team's first run reached the room; a dojo that quit instead shows what it said."""
    if dojo.poll() is not None and not runs_of(room, team):
        pytest.fail(f"{team}'s dojo quit ({dojo.returncode}) before its first run:\n{dojo.stdout.read()}")
    return len(runs_of(room, team)) >= 1


def test_three_checkouts_join_one_dashboard_and_every_run_reaches_it(fake_template, tmp_path):
    checkouts = {
        team: fake.copy(fake_template, tmp_path / team)
        for team in ("orders", "payments", "sensors")
    }
    room = Room("01_add", "Add: await a sum")
    with ServerThread(room) as url:
        # orders has two turns to go green in; the others stop after one.
        dojos = {
            team: start_dojo(folder, url, team, 2 if team == "orders" else 1)
            for team, folder in checkouts.items()
        }
        try:
            for team in checkouts:
                wait_until(lambda team=team: started(room, team, dojos[team]), f"{team}'s first run")
            # orders gets half of it right, then all of it; payments breaks its file.
            save(checkouts["orders"], fake.HALF_DONE_ADD)
            save(checkouts["payments"], fake.SYNTAX_ERROR_ADD)
            wait_until(lambda: len(runs_of(room, "orders")) >= 2, "orders' run after its save")
            save(checkouts["orders"], fake.SOLVED["01_add"])
            outputs = {team: process.communicate(timeout=60)[0] for team, process in dojos.items()}
        finally:
            for process in dojos.values():
                process.kill() if process.poll() is None else None
        codes = {team: process.returncode for team, process in dojos.items()}
        history = room.history()

    assert codes == {"orders": 0, "payments": 1, "sensors": 1}, outputs
    for team, output in outputs.items():
        assert f"Joined the room at {url.rstrip('/')}/ as {team}" in output, output
        assert "Traceback" not in output and "did not get a run" not in output, output
    colours = {team["name"]: [run["colour"] for run in team["runs"]] for team in history["teams"]}
    assert colours == {
        "orders": ["red", "red", "green"],
        "payments": ["red", "amber"],
        "sensors": ["red"],
    }
    by_name = {team["name"]: team for team in history["teams"]}  # joined in any order
    orders, payments, sensors = (by_name[name] for name in ("orders", "payments", "sensors"))
    assert orders["runs"][0]["trigger"] == "start" and orders["runs"][1]["trigger"] == "save"
    assert orders["runs"][1]["failing"] == ["test_one_and_one_make_two"]
    assert orders["runs"][-1]["driver"] == "ana" and orders["runs"][-1]["navigator"] == "bo"
    assert payments["turn"]["turn"] == 1 and payments["turn"]["driver"] == "ana"
    assert sensors["turn"]["navigator"] == "bo" and sensors["turn"]["seconds_left"] == 4.8
    assert all("code" not in run for team in history["teams"] for run in team["runs"]), (
        "no team chose --share-code: no kata.py left its machine"
    )


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT, as Ctrl-C does on POSIX")
def test_dojo_serve_prints_the_room_listens_on_loopback_and_saves_its_history_on_ctrl_c(
    fake_repo,
):
    # As a terminal starts it: Ctrl-C raises KeyboardInterrupt even where this test runs
    # under a runner that ignores SIGINT (tox, a script's background job).
    start = (
        "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "runpy.run_module('harness', run_name='__main__')"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", start, "--root", str(fake_repo)]
        + ["dojo", "serve", "--kata", "add", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = [server.stdout.readline() for _ in range(6)]
        printed = "".join(lines)
        assert "Dojo room open for 01_add: Add: await a sum." in printed, printed
        url = next(word for line in lines for word in line.split() if "/room/" in word)
        assert url.startswith("http://127.0.0.1:") and "--team NAME" in printed
        assert "Only this machine can join (127.0.0.1)" in printed
        post_json(f"{room_address(url)}/join", {"team": "orders", "kata": "01_add"})
        run = {"team": "orders", "kata": "01_add", "colour": "red", "passed": 0, "total": 2}
        post_json(f"{room_address(url)}/runs", {**run, "turn": 1})
        server.send_signal(signal.SIGINT)
        rest, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0, rest
    assert "Room closed. Its history (1 team(s), 1 test runs) is in .harness/dojo/room-" in rest
    [saved] = (fake_repo / ".harness" / "dojo").glob("room-*-01_add.json")
    history = json.loads(saved.read_text(encoding="utf-8"))
    assert history["teams"][0]["runs"][0]["colour"] == "red"
