"""A room end to end: three checkouts of the fake curriculum, three dojos in their own
processes (`python -m harness dojo ... --join URL --team NAME`), one dashboard."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.catalog import ROOT
from harness.dojo.room import Room
from harness.dojo.server import ServerThread
from harness.tests import fake_curriculum as fake

pytestmark = pytest.mark.timeout(90)

TURN_MINUTES = "0.08"  # turns of 4.8 s: time for two saves and their runs on a busy machine


def start_dojo(checkout: Path, url: str, team: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "harness", "--root", str(checkout), "dojo", "add"]
        + ["--join", url, "--team", team, "--minutes", TURN_MINUTES, "--turns", "2"]
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


def runs_of(room: Room, team: str) -> list[dict]:
    found = room.teams.get(team)
    return list(found.runs) if found else []


def test_three_checkouts_join_one_dashboard_and_every_run_reaches_it(fake_template, tmp_path):
    checkouts = {
        team: fake.copy(fake_template, tmp_path / team)
        for team in ("orders", "payments", "sensors")
    }
    room = Room("01_add", "Add: await a sum")
    with ServerThread(room) as url:
        dojos = {team: start_dojo(folder, url, team) for team, folder in checkouts.items()}
        try:
            for team in checkouts:
                wait_until(lambda team=team: len(runs_of(room, team)) >= 1, f"{team}'s first run")
            # orders gets half of it right, then all of it; payments breaks its file.
            fake.write(checkouts["orders"], "01_add", fake.HALF_DONE_ADD)
            fake.write(checkouts["payments"], "01_add", fake.SYNTAX_ERROR_ADD)
            wait_until(lambda: len(runs_of(room, "orders")) >= 2, "orders' run after its save")
            fake.write(checkouts["orders"], "01_add", fake.SOLVED["01_add"])
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
    orders, payments, sensors = history["teams"]
    assert orders["runs"][0]["trigger"] == "start" and orders["runs"][1]["trigger"] == "save"
    assert orders["runs"][1]["failing"] == ["test_one_and_one_make_two"]
    assert orders["runs"][-1]["driver"] == "ana" and orders["runs"][-1]["navigator"] == "bo"
    assert payments["turn"]["turn"] == 2 and payments["turn"]["driver"] == "bo"
    assert sensors["turn"]["turn"] == 2
    assert all("code" not in run for team in history["teams"] for run in team["runs"]), (
        "no team chose --share-code: no kata.py left its machine"
    )
