"""The dashboard's server: what teams may post, what they get back, what the page streams.

Every bad post gets a 4xx and a sentence, and the server goes on serving: these tests
post each bad payload, then a good one.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from harness.dojo import room as room_module
from harness.dojo import server
from harness.dojo.room import Room

CODE = "K7P2QX9M"
RUN = {
    "team": "orders",
    "kata": "02_gather",
    "colour": "red",
    "passed": 1,
    "total": 3,
    "turn": 1,
    "driver": "ana",
    "navigator": "bo",
    "failing": ["test_ten_requests_run_at_the_same_time"],
}


class Ticks:
    """A clock for the rate limits that moves only when told."""

    __test__ = False

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def dashboard(room: Room | None = None) -> TestClient:
    return TestClient(TestServer(server.make_app(room or Room("02_gather", code=CODE))))


async def join(client: TestClient, team: str = "orders", kata: str = "02_gather"):
    return await client.post(f"/room/{CODE}/join", json={"team": team, "kata": kata})


async def read_events(response, count: int, timeout: float = 5.0) -> list[tuple[str, dict]]:
    """The next ``count`` named events of a server-sent event stream."""
    found: list[tuple[str, dict]] = []
    kind = ""
    async with asyncio.timeout(timeout):
        while len(found) < count:
            line = (await response.content.readline()).decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[len("event: ") :]
            elif line.startswith("data: "):
                found.append((kind, json.loads(line[len("data: ") :])))
    return found


async def test_a_team_joins_posts_runs_and_the_page_stream_shows_them_in_order():
    async with dashboard() as client:
        stream = await client.get(f"/room/{CODE}/events")
        assert stream.status == 200 and stream.headers["Content-Type"] == "text/event-stream"
        assert (await join(client)).status == 200
        for colour, passed in (("amber", 0), ("red", 1), ("green", 3)):
            answer = await client.post(
                f"/room/{CODE}/runs", json={**RUN, "colour": colour, "passed": passed}
            )
            assert answer.status == 200, await answer.text()
        seen = await read_events(stream, 5)
        assert [kind for kind, _ in seen] == ["room", "team", "run", "run", "run"]
        assert seen[0][1]["kata"] == "02_gather"
        runs = [data for kind, data in seen if kind == "run"]
        assert [(r["colour"], r["index"]) for r in runs] == [("amber", 0), ("red", 1), ("green", 2)]
        assert runs[0]["failing"] == RUN["failing"] and runs[0]["driver"] == "ana"
        assert "code" not in runs[0], "no learner code unless the team shares it"
        stream.close()


async def test_a_page_that_reconnects_gets_only_the_events_it_missed():
    async with dashboard() as client:
        await join(client)
        for _ in range(3):
            await client.post(f"/room/{CODE}/runs", json=RUN)
        stream = await client.get(f"/room/{CODE}/events", headers={"Last-Event-ID": "2"})
        seen = await read_events(stream, 2)
        assert [kind for kind, _ in seen] == ["room", "run"]
        assert seen[1][1]["index"] == 2, "events 0-2 (the join, two runs) were seen already"
        stream.close()


async def test_the_facilitator_exports_the_rooms_history_as_json():
    async with dashboard() as client:
        await join(client, "orders")
        await join(client, "payments")
        await client.post(f"/room/{CODE}/runs", json=RUN)
        await client.post(
            f"/room/{CODE}/runs", json={**RUN, "team": "payments", "colour": "green", "passed": 3}
        )
        await client.post(
            f"/room/{CODE}/turns",
            json={
                "team": "orders",
                "turn": 2,
                "driver": "bo",
                "navigator": "cy",
                "seconds_left": 300,
            },
        )
        answer = await client.get(f"/room/{CODE}/history.json")
        assert answer.status == 200
        assert "attachment" in answer.headers["Content-Disposition"]
        document = json.loads(await answer.text())
        assert document["room"]["kata"] == "02_gather"
        orders, payments = document["teams"]
        assert orders["name"] == "orders" and orders["turn"]["driver"] == "bo"
        assert [run["colour"] for run in orders["runs"]] == ["red"]
        assert [run["colour"] for run in payments["runs"]] == ["green"]


def oversized() -> dict:
    return {**RUN, "code": "x" * (room_module.MAX_BODY + 1)}


BAD_RUNS = [
    pytest.param(b"{not json", 400, "not valid JSON", id="invalid JSON"),
    pytest.param(b"\xff\xfe", 400, "not valid JSON", id="not UTF-8"),
    pytest.param(json.dumps([RUN]).encode(), 400, "JSON object", id="a list, not an object"),
    pytest.param(oversized(), 413, "larger than", id="oversized body"),
    pytest.param(
        {**RUN, "passed": "1"}, 422, "passed must be a whole number", id="passed a string"
    ),
    pytest.param({**RUN, "passed": True}, 422, "passed must be a whole number", id="passed a bool"),
    pytest.param({**RUN, "total": -1}, 422, "total must be between", id="negative total"),
    pytest.param(
        {**RUN, "passed": 4}, 422, "cannot be more than total", id="more passed than tests"
    ),
    pytest.param(
        {**RUN, "colour": "blue"}, 422, "colour must be one of red, amber, green", id="colour"
    ),
    pytest.param({**RUN, "team": 7}, 422, "team must be a string", id="team a number"),
    pytest.param({**RUN, "team": ""}, 422, "team must be 1 to 40", id="empty team"),
    pytest.param({**RUN, "team": "o" * 41}, 422, "team must be 1 to 40", id="long team"),
    pytest.param({**RUN, "team": "orders\x1b[2J"}, 422, "printable", id="control characters"),
    pytest.param(
        {**RUN, "failing": "test_a"}, 422, "failing must be a list", id="failing a string"
    ),
    pytest.param(
        {**RUN, "failing": ["t"] * 51}, 422, "failing must be a list", id="failing too long"
    ),
    pytest.param({**RUN, "admin": True}, 422, "unknown field(s): 'admin'", id="unknown field"),
    pytest.param(
        {k: v for k, v in RUN.items() if k != "kata"}, 422, "kata is missing", id="no kata"
    ),
    pytest.param({**RUN, "kata": "03_tasks"}, 409, "this room works on 02_gather", id="other kata"),
    pytest.param({**RUN, "team": "ghosts"}, 409, "has not joined", id="a team that never joined"),
]


@pytest.mark.parametrize(("body", "status", "says"), BAD_RUNS)
async def test_a_bad_run_gets_a_4xx_with_a_reason_and_the_server_goes_on(body, status, says):
    async with dashboard() as client:
        await join(client)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        answer = await client.post(
            f"/room/{CODE}/runs", data=data, headers={"Content-Type": "application/json"}
        )
        assert answer.status == status, await answer.text()
        assert says in (await answer.json())["error"]
        good = await client.post(f"/room/{CODE}/runs", json=RUN)
        assert good.status == 200, "the server still takes good posts"


async def test_a_post_that_is_not_json_is_refused():
    async with dashboard() as client:
        answer = await client.post(f"/room/{CODE}/join", data="team=orders")
        assert answer.status == 415 and "application/json" in (await answer.json())["error"]


async def test_an_unknown_room_code_is_a_404_for_every_room_address():
    async with dashboard() as client:
        for path in ("", "/", "/events", "/history.json"):
            assert (await client.get(f"/room/WRONGCODE{path}")).status == 404, path
        for path in ("/join", "/runs", "/turns"):
            answer = await client.post(f"/room/{CODE.lower()}{path}", json=RUN)
            assert (
                answer.status == 404 and "no room with this code" in (await answer.json())["error"]
            )
        home = await client.get("/")
        assert home.status == 200 and CODE not in await home.text(), "the code is never given away"


async def test_a_script_in_a_team_name_is_kept_as_text_and_the_page_cannot_run_inline_script():
    name = "<script>alert(1)</script>"
    async with dashboard() as client:
        assert (await join(client, name)).status == 200
        assert (await client.post(f"/room/{CODE}/runs", json={**RUN, "team": name})).status == 200
        document = await (await client.get(f"/room/{CODE}/history.json")).json()
        assert document["teams"][0]["name"] == name, "stored as it was typed, shown as text"
        page = await client.get(f"/room/{CODE}/")
        policy = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    script = (server.PAGE / "dashboard.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, f"dashboard.js must build the page with textContent, not {sink}"


async def test_a_team_that_posts_too_fast_is_told_to_slow_down():
    ticks = Ticks()
    async with dashboard(Room("02_gather", code=CODE, clock=ticks)) as client:
        await join(client)  # one token
        statuses = [
            (await client.post(f"/room/{CODE}/runs", json=RUN)).status
            for _ in range(int(room_module.TEAM_BURST))
        ]
        assert statuses == [200] * (int(room_module.TEAM_BURST) - 1) + [429]
        refused = await client.post(f"/room/{CODE}/runs", json=RUN)
        assert "too many posts" in (await refused.json())["error"]
        ticks.now += 1.0  # a second later: two more posts are welcome
        assert (await client.post(f"/room/{CODE}/runs", json=RUN)).status == 200
        other = await client.post(
            f"/room/{CODE}/join", json={"team": "payments", "kata": "02_gather"}
        )
        assert other.status == 200, "one team's limit does not stop another team"


async def test_a_full_room_refuses_a_new_team(monkeypatch):
    monkeypatch.setattr(room_module, "MAX_TEAMS", 2)
    async with dashboard() as client:
        assert (await join(client, "orders")).status == 200
        assert (await join(client, "payments")).status == 200
        full = await join(client, "sensors")
        assert full.status == 409 and "the room is full" in (await full.json())["error"]
        assert (await join(client, "ORDERS")).status == 200, "a team coming back is welcome"


async def test_clients_that_vanish_mid_request_leave_the_server_serving():
    async with dashboard() as client:
        host, port = client.host, client.port
        # A post that promises 500 bytes, sends 20 and hangs up.
        _reader, writer = await asyncio.open_connection(host, port)
        writer.write(
            f"POST /room/{CODE}/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            'Content-Length: 500\r\n\r\n{"team": "orders", '.encode()
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        # A page that hangs up in the middle of its stream.
        stream = await client.get(f"/room/{CODE}/events")
        await read_events(stream, 1)
        stream.close()
        # A request cut in the middle of its headers.
        _reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /room/")
        writer.close()
        await writer.wait_closed()
        await asyncio.sleep(0.05)
        assert (await join(client)).status == 200
        assert (await client.post(f"/room/{CODE}/runs", json=RUN)).status == 200
        fresh = await client.get(f"/room/{CODE}/events")
        assert [kind for kind, _ in await read_events(fresh, 3)] == ["room", "team", "run"]
        fresh.close()


async def test_the_page_and_its_assets_are_served_by_the_harness_with_no_outside_address():
    async with dashboard() as client:
        moved = await client.get(f"/room/{CODE}", allow_redirects=False)
        assert moved.status == 302 and moved.headers["Location"] == f"/room/{CODE}/"
        page = await client.get(f"/room/{CODE}/")
        assert page.status == 200 and page.content_type == "text/html"
        for name in server.ASSETS:
            asset = await client.get(f"/static/{name}")
            assert asset.status == 200 and asset.headers["X-Content-Type-Options"] == "nosniff"
        assert (await client.get("/static/../room.py")).status == 404
    for path in Path(server.PAGE).iterdir():
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, f"{path.name} fetches from outside"


def test_a_room_code_is_eight_unambiguous_characters_and_never_the_same_twice():
    codes = {room_module.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == 8 and set(code) <= set(room_module.CODE_ALPHABET) for code in codes)
    assert not set("01OIL") & set(room_module.CODE_ALPHABET)
