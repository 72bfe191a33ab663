"""A dojo room: its teams, every test run they post, and the log the dashboard replays.

Plain Python, no HTTP: server.py turns requests into calls here. Everything a team
posts is checked against a small schema (types, sizes, known fields only) and a rate
limit before it touches the room; a post that fails raises :class:`Rejected` with the
HTTP status and a sentence for the team. The room keeps an append-only event log; a
page that (re)connects replays it from the last event it saw, so no light is lost.
"""

from __future__ import annotations

import hmac
import math
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_HOST = "127.0.0.1"  # this machine only, unless `dojo serve --host` says otherwise
DEFAULT_PORT = 8765
COLOURS = ("red", "amber", "green")
TRIGGERS = ("start", "save", "enter", "rotation", "end")
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I/L to misread
CODE_LENGTH = 8

MAX_BODY = 64 * 1024  # bytes of one post; a shared kata.py fits, a flood does not
MAX_TEAMS = 64
MAX_NAME = 40  # characters of a team, driver or navigator name
MAX_KATA = 64
MAX_COUNT = 10_000  # tests in a kata, turns in a dojo
MAX_FAILING = 50
MAX_TEST_NAME = 200
MAX_CODE = 20_000  # characters of kata.py, for a team that chose to share it
MAX_SECONDS = 24 * 3600.0
MAX_RUNS_PER_TEAM = 5_000
# A test run takes half a second at least: two a second per team is generous, and a
# burst of ten covers a join, a turn and a few runs at once.
TEAM_RATE = 2.0
TEAM_BURST = 10.0
# One machine may hold every team of a small room (or a benchmark on loopback).
ADDRESS_RATE = 100.0
ADDRESS_BURST = 200.0

UNKNOWN_ROOM = "there is no room with this code: use the address the dashboard printed"
NOT_AN_OBJECT = "the body must be a JSON object"
UNKNOWN_FIELDS = "unknown field(s): {names}"
MISSING = "{name} is missing"
WRONG_TYPE = "{name} must be {kind}"
OUT_OF_RANGE = "{name} must be between {low} and {high}"
TOO_LONG = "{name} must be at most {limit} characters"
BAD_NAME = "{name} must be 1 to {limit} printable characters"
NOT_ONE_OF = "{name} must be one of {choices}"
MORE_PASSED = "passed ({passed}) cannot be more than total ({total})"
OTHER_KATA = (
    "this room works on {room}, not {kata}: start with python -m harness dojo {room} --join ..."
)
NOT_JOINED = "team {team!r} has not joined this room: join first"
ROOM_FULL = "the room is full ({limit} teams)"
TOO_MANY_RUNS = "team {team!r} has posted {limit} runs, the most a room keeps"
SLOW_DOWN = "too many posts: at most {rate:g} a second"


class Rejected(Exception):
    """A post the room refuses: the HTTP status and what to tell the team."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# --- the schema --------------------------------------------------------------------------------
def _only(data: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Rejected(400, NOT_AN_OBJECT)
    unknown = sorted(set(data) - allowed)
    if unknown:
        shown = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise Rejected(422, UNKNOWN_FIELDS.format(names=shown))
    return data


def _text(data: dict[str, Any], name: str, limit: int, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise Rejected(422, MISSING.format(name=name))
        return None
    if not isinstance(value, str):
        raise Rejected(422, WRONG_TYPE.format(name=name, kind="a string"))
    if len(value) > limit:
        raise Rejected(422, TOO_LONG.format(name=name, limit=limit))
    return value


def clean_name(value: str, name: str = "team") -> str:
    """A name to show: trimmed, 1 to MAX_NAME characters, no control or format characters."""
    value = value.strip()
    printable = all(not unicodedata.category(char).startswith("C") for char in value)
    if not value or len(value) > MAX_NAME or not printable:
        raise Rejected(422, BAD_NAME.format(name=name, limit=MAX_NAME))
    return value


def _name(data: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = _text(data, name, MAX_NAME * 4, required=required)
    return None if value is None else clean_name(value, name)


def _integer(data: dict[str, Any], name: str, low: int, high: int) -> int:
    value = data.get(name)
    if value is None:
        raise Rejected(422, MISSING.format(name=name))
    if not isinstance(value, int) or isinstance(value, bool):
        raise Rejected(422, WRONG_TYPE.format(name=name, kind="a whole number"))
    if not low <= value <= high:
        raise Rejected(422, OUT_OF_RANGE.format(name=name, low=low, high=high))
    return value


def _seconds(data: dict[str, Any], name: str) -> float | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
        raise Rejected(422, WRONG_TYPE.format(name=name, kind="a number of seconds"))
    if not 0 <= value <= MAX_SECONDS:
        raise Rejected(422, OUT_OF_RANGE.format(name=name, low=0, high=int(MAX_SECONDS)))
    return float(value)


def _choice(data: dict[str, Any], name: str, choices: tuple[str, ...], default: str) -> str:
    value = data.get(name, default)
    if value not in choices:
        raise Rejected(422, NOT_ONE_OF.format(name=name, choices=", ".join(choices)))
    return value


def _test_names(data: dict[str, Any]) -> list[str]:
    value = data.get("failing", [])
    if not isinstance(value, list) or len(value) > MAX_FAILING:
        raise Rejected(
            422, WRONG_TYPE.format(name="failing", kind=f"a list of {MAX_FAILING} at most")
        )
    for item in value:
        if not isinstance(item, str) or len(item) > MAX_TEST_NAME:
            raise Rejected(422, TOO_LONG.format(name="each failing test", limit=MAX_TEST_NAME))
    return list(value)


def parse_join(data: Any) -> dict[str, Any]:
    data = _only(data, {"team", "kata"})
    return {"team": _name(data, "team"), "kata": _text(data, "kata", MAX_KATA)}


def parse_turn(data: Any) -> dict[str, Any]:
    data = _only(data, {"team", "turn", "driver", "navigator", "seconds_left"})
    return {
        "team": _name(data, "team"),
        "turn": _integer(data, "turn", 1, MAX_COUNT),
        "driver": _name(data, "driver", required=False),
        "navigator": _name(data, "navigator", required=False),
        "seconds_left": _seconds(data, "seconds_left"),
    }


def parse_run(data: Any) -> dict[str, Any]:
    fields = {"team", "kata", "colour", "passed", "total", "turn", "driver", "navigator"}
    data = _only(data, fields | {"failing", "code", "trigger"})
    run = {
        "team": _name(data, "team"),
        "kata": _text(data, "kata", MAX_KATA),
        "colour": _choice(data, "colour", COLOURS, ""),
        "passed": _integer(data, "passed", 0, MAX_COUNT),
        "total": _integer(data, "total", 0, MAX_COUNT),
        "turn": _integer(data, "turn", 0, MAX_COUNT),
        "driver": _name(data, "driver", required=False),
        "navigator": _name(data, "navigator", required=False),
        "failing": _test_names(data),
        "trigger": _choice(data, "trigger", TRIGGERS, "save"),
    }
    if run["passed"] > run["total"]:
        raise Rejected(422, MORE_PASSED.format(passed=run["passed"], total=run["total"]))
    code = _text(data, "code", MAX_CODE, required=False)
    if code is not None:  # only a team that chose --share-code sends it
        run["code"] = code
    return run


# --- rate limits -------------------------------------------------------------------------------
@dataclass
class Bucket:
    """A token bucket: ``burst`` posts at once, then ``rate`` a second."""

    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = 0.0

    def take(self, now: float) -> bool:
        if self.tokens < 0:
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


# --- the room ----------------------------------------------------------------------------------
@dataclass
class Team:
    name: str
    kata: str
    joined_at: float
    runs: list[dict[str, Any]] = field(default_factory=list)
    turn: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kata": self.kata,
            "joined_at": self.joined_at,
            "turn": self.turn,
            "runs": self.runs,
        }


class Room:
    """One room: one code, its teams, and the event log (``events[i]["id"] == i``)."""

    def __init__(
        self,
        kata: str | None = None,
        title: str = "",
        *,
        code: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.kata = kata
        self.title = title
        self.code = code or new_code()
        self.clock = clock
        self.now = now
        self.opened_at = now()
        self.teams: dict[str, Team] = {}  # by name.casefold()
        self.events: list[dict[str, Any]] = []
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def knows(self, code: str) -> bool:
        return hmac.compare_digest(code.encode(), self.code.encode())

    def throttle(self, address: str, team: str | None = None) -> None:
        """Refuse a post over the rate of its address (and of its team, when named)."""
        now = self.clock()
        keys = [("address", address, ADDRESS_RATE, ADDRESS_BURST)]
        if team is not None:
            keys.append(("team", team.casefold(), TEAM_RATE, TEAM_BURST))
        for kind, key, rate, burst in keys:
            bucket = self._buckets.setdefault((kind, key), Bucket(rate, burst))
            if not bucket.take(now):
                raise Rejected(429, SLOW_DOWN.format(rate=rate))

    def _log(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        event = {"id": len(self.events), "type": kind, "data": data}
        self.events.append(event)
        return event

    def _team(self, name: str) -> Team:
        team = self.teams.get(name.casefold())
        if team is None:
            raise Rejected(409, NOT_JOINED.format(team=name))
        return team

    def _check_kata(self, kata: str) -> None:
        if self.kata is not None and kata != self.kata:
            raise Rejected(409, OTHER_KATA.format(room=self.kata, kata=kata))

    def join(self, post: dict[str, Any]) -> dict[str, Any]:
        """A team arrives (or comes back after a restart: it keeps its lights)."""
        self._check_kata(post["kata"])
        key = post["team"].casefold()
        team = self.teams.get(key)
        if team is None:
            if len(self.teams) >= MAX_TEAMS:
                raise Rejected(409, ROOM_FULL.format(limit=MAX_TEAMS))
            team = self.teams[key] = Team(post["team"], post["kata"], self.now())
            self._log("team", {"team": team.name, "kata": team.kata, "at": team.joined_at})
        return {"room": self.describe(), "team": team.name, "runs": len(team.runs)}

    def turn(self, post: dict[str, Any]) -> dict[str, Any]:
        team = self._team(post["team"])
        team.turn = {**post, "team": team.name, "at": self.now()}
        return self._log("turn", team.turn)

    def run(self, post: dict[str, Any]) -> dict[str, Any]:
        team = self._team(post["team"])
        self._check_kata(post["kata"])
        if len(team.runs) >= MAX_RUNS_PER_TEAM:
            raise Rejected(409, TOO_MANY_RUNS.format(team=team.name, limit=MAX_RUNS_PER_TEAM))
        run = {**post, "team": team.name, "index": len(team.runs), "at": self.now()}
        team.runs.append(run)
        return self._log("run", run)

    def describe(self) -> dict[str, Any]:
        return {"kata": self.kata, "title": self.title, "opened_at": self.opened_at}

    def history(self) -> dict[str, Any]:
        """The room as JSON, for the facilitator's export."""
        return {
            "room": {**self.describe(), "exported_at": self.now()},
            "teams": [team.to_json() for team in self.teams.values()],
        }
