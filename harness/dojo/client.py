"""A team's side of a room: `python -m harness dojo KATA --join URL --team NAME`.

The dojo joins the room before it starts (so a wrong address or code is said at once),
then hands each test run and each new turn to a background thread that posts them in
order, so a slow or vanished dashboard never holds up the tests. Only the colour, the
counts, the names of the failing tests and who drives leave the machine; kata.py is sent
only when the team asks for it (--share-code). The standard library's urllib is
enough for a few small JSON posts.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from harness.dojo.lights import Light

TIMEOUT = 3.0  # seconds for one post
RETRIES = 3  # posts refused for their rate (429) are tried again, a second apart
FLUSH = 3.0  # seconds the dojo waits at the end for the last posts

NOT_A_ROOM = (
    "{url!r} is not a room's address: use the one `python -m harness dojo serve` printed, "
    "such as http://127.0.0.1:8765/room/K7P2QX9M/"
)
UNREACHABLE = (
    "cannot reach the dashboard at {url} ({why}): is `python -m harness dojo serve` running there?"
)
REFUSED = "the dashboard refused {what} ({status}): {message}"
JOINED = "Joined the room at {url} as {team}: every test run appears on its dashboard."
SHARING = "kata.py is sent with each run (--share-code): the room can read your code."
POST_FAILED = "Note: the dashboard did not get a run ({why}); the dojo goes on."


class DashboardError(Exception):
    """The dashboard cannot be reached, or refused what was posted."""


class Refused(DashboardError):
    """The dashboard answered with a 4xx: its reason is in the message."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def room_address(url: str) -> str:
    """``http://host:port/room/CODE`` from any address of the room (its page, say)."""
    parts = urllib.parse.urlsplit(url.strip())
    segments = [segment for segment in parts.path.split("/") if segment]
    if parts.scheme not in ("http", "https") or not parts.netloc or segments[:1] != ["room"]:
        raise DashboardError(NOT_A_ROOM.format(url=url))
    if len(segments) < 2:
        raise DashboardError(NOT_A_ROOM.format(url=url))
    return f"{parts.scheme}://{parts.netloc}/room/{segments[1]}"


def post_json(url: str, document: dict[str, Any], timeout: float = TIMEOUT) -> dict[str, Any]:
    """POST ``document``; the JSON answer, or DashboardError saying what went wrong."""
    request = urllib.request.Request(
        url,
        data=json.dumps(document).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    what = url.rsplit("/", 1)[-1]
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as refused:
        with refused:
            try:
                message = json.loads(refused.read()).get("error", "")
            except (ValueError, AttributeError, OSError):
                message = refused.reason
        shown = REFUSED.format(what=what, status=refused.code, message=message)
        raise Refused(shown, refused.code) from None
    except (urllib.error.URLError, OSError, ValueError) as problem:
        why = getattr(problem, "reason", None) or problem
        raise DashboardError(UNREACHABLE.format(url=url.rsplit("/", 1)[0], why=why)) from None


class Dashboard:
    """Posts a team's runs and turns to its room, in order, from a background thread."""

    def __init__(
        self, url: str, team: str, kata: str, *, share_code: bool = False, timeout: float = TIMEOUT
    ) -> None:
        self.address = room_address(url)
        self.team = team
        self.kata = kata
        self.share_code = share_code
        self.timeout = timeout
        self._posts: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
        self._problems: queue.Queue[str] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._last_problem = ""

    def join(self) -> dict[str, Any]:
        """Join the room now (raises DashboardError), then start posting in the background."""
        answer = post_json(
            f"{self.address}/join", {"team": self.team, "kata": self.kata}, self.timeout
        )
        self._worker = threading.Thread(target=self._post_all, name="dojo-posts", daemon=True)
        self._worker.start()
        return answer

    def turn(
        self, number: int, driver: str | None, navigator: str | None, seconds_left: float
    ) -> None:
        self._posts.put(
            (
                "turns",
                {
                    "team": self.team,
                    "turn": number,
                    "driver": driver,
                    "navigator": navigator,
                    "seconds_left": round(max(0.0, seconds_left), 1),
                },
            )
        )

    def run(
        self, light: Light, driver: str | None, navigator: str | None, code: str | None = None
    ) -> None:
        document = {
            "team": self.team,
            "kata": self.kata,
            "colour": light.colour,
            "passed": light.passed,
            "total": light.total,
            "turn": light.turn,
            "driver": driver,
            "navigator": navigator,
            "failing": light.failing[:50],
            "trigger": light.trigger,
        }
        if self.share_code and code is not None:
            document["code"] = code[:20_000]
        self._posts.put(("runs", document))

    def problems(self) -> list[str]:
        """What went wrong since the last call (the dojo prints it between runs)."""
        found = []
        while not self._problems.empty():
            found.append(self._problems.get_nowait())
        return found

    def close(self, timeout: float = FLUSH) -> None:
        """Send what is queued (for at most ``timeout`` seconds), then stop."""
        if self._worker is None:
            return
        self._posts.put(None)
        self._worker.join(timeout)

    def _post_all(self) -> None:
        while (item := self._posts.get()) is not None:
            path, document = item
            for attempt in range(RETRIES):
                try:
                    post_json(f"{self.address}/{path}", document, self.timeout)
                    break
                except Refused as refused:
                    if refused.status != 429 or attempt == RETRIES - 1:
                        self._complain(refused)
                        break
                    time.sleep(1.0)
                except DashboardError as problem:
                    self._complain(problem)
                    break

    def _complain(self, problem: DashboardError) -> None:
        """Say each different problem once: a dashboard that is gone is said once."""
        if str(problem) != self._last_problem:
            self._last_problem = str(problem)
            self._problems.put(POST_FAILED.format(why=problem))
