"""The dashboard page in a real headless Chromium: lights appear live, in order, as text.

One browser for the module (a launch costs about a second); the server runs in a
thread of its own. These tests are plain functions: Playwright's sync API runs its
own event loop, which must not be inside pytest-asyncio's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.catalog import ROOT
from harness.dojo import browser as browser_module
from harness.dojo.client import post_json, room_address
from harness.dojo.room import Room
from harness.dojo.server import ServerThread

ARTIFACTS = ROOT / ".artifacts"  # git-ignored: what the tests leave to look at
SCREENSHOT = ARTIFACTS / "dashboard.png"
WAIT_MS = 5000

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    why = browser_module.missing()
    if why:
        pytest.skip(why)
    with browser_module.launched() as browser:
        yield browser


@pytest.fixture
def room_page(chromium) -> Iterator[tuple[object, str]]:
    """A fresh room served on 127.0.0.1 and its page open in the browser (no lights yet)."""
    room = Room("02_gather", "gather: run independent requests together")
    with ServerThread(room) as url:
        page = chromium.new_page(viewport={"width": 1000, "height": 420})
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(url)
        page.wait_for_selector("#connection.live", timeout=WAIT_MS)
        page.evaluate("window.sameDocument = 'not reloaded'")
        yield page, url
        assert dialogs == [], f"a script ran from data a team sent: {dialogs}"
        page.close()


def post(url: str, path: str, document: dict) -> None:
    post_json(f"{room_address(url)}/{path}", document)


def run(team: str, colour: str, passed: int, turn: int = 1, **extra) -> dict:
    return {
        "team": team,
        "kata": "02_gather",
        "colour": colour,
        "passed": passed,
        "total": 3,
        "turn": turn,
        **extra,
    }


def colours(page, team_index: int) -> list[str]:
    return page.eval_on_selector_all(
        f".team:nth-child({team_index}) .light", "lights => lights.map(l => l.dataset.colour)"
    )


def wait_for_lights(page, count: int) -> None:
    # Locators, not wait_for_function: the page's CSP forbids evaluating strings.
    page.locator(".team .light").nth(count - 1).wait_for(timeout=WAIT_MS)


def test_two_teams_post_runs_and_their_lights_appear_in_order_without_a_reload(room_page):
    page, url = room_page
    assert page.text_content("#kata") == "02_gather — gather: run independent requests together"
    post(url, "join", {"team": "orders", "kata": "02_gather"})
    post(url, "join", {"team": "payments", "kata": "02_gather"})
    page.locator(".team").nth(1).wait_for(timeout=WAIT_MS)
    plan = [
        run("orders", "amber", 0, failing=["test_ten_requests_run_at_the_same_time"]),
        run("payments", "red", 1),
        run("orders", "red", 2),
        run("payments", "red", 2, turn=2),
        run("orders", "green", 3, turn=2),
        run("payments", "green", 3, turn=2),
    ]
    for shown, document in enumerate(plan, start=1):
        post(url, "runs", document)
        wait_for_lights(page, shown)  # each light arrives before the next is posted
    assert colours(page, 1) == ["amber", "red", "green"]
    assert colours(page, 2) == ["red", "red", "green"]
    assert page.text_content("#light-count") == "6" and page.text_content("#team-count") == "2"
    assert page.evaluate("window.sameDocument") == "not reloaded", "the page was never reloaded"
    post(
        url,
        "turns",
        {"team": "orders", "turn": 3, "driver": "cy", "navigator": "ana", "seconds_left": 300},
    )
    turn = page.locator(".team:nth-child(1) .turn")
    turn.filter(has_text="Turn 3 · cy drives, ana navigates").wait_for(timeout=WAIT_MS)
    assert re.fullmatch(r"[45]:\d\d left", page.text_content(".team:nth-child(1) .countdown"))
    page.click(".team:nth-child(1) .light >> nth=0")
    assert page.text_content("#details-failing") == "test_ten_requests_run_at_the_same_time"
    assert page.is_hidden("#details-code"), "orders did not share its code"
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 5000


def test_a_team_name_with_markup_is_shown_as_text_and_runs_no_script(room_page):
    page, url = room_page
    names = ["<img src=x onerror=alert(1)>", "<script>alert(2)</script>", 'ana & bo\'s "team"']
    for name in names:
        post(url, "join", {"team": name, "kata": "02_gather"})
        post(url, "runs", run(name, "red", 0, driver="<b>ana</b>"))
    wait_for_lights(page, len(names))
    assert page.locator(".team .name").all_text_contents() == names
    assert page.locator("img, b, .team script").count() == 0, "no element came from a name"
    title = page.get_attribute(".team:nth-child(1) .light", "title")
    assert title.startswith(names[0] + ", "), title


def test_a_shared_kata_file_is_shown_as_text_when_its_light_is_clicked(room_page):
    page, url = room_page
    code = 'async def fetch_all(urls):\n    return "<script>alert(3)</script>"\n'
    post(url, "join", {"team": "sensors", "kata": "02_gather"})
    post(url, "runs", run("sensors", "red", 1, code=code))
    wait_for_lights(page, 1)
    page.click(".light.shared")
    assert page.text_content("#details-code") == code
    assert page.locator("#details script").count() == 0


def test_the_screenshot_is_kept_where_git_does_not_look():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert ".artifacts/" in ignored, "the browser test's screenshot must stay out of git"
    assert Path(SCREENSHOT).is_relative_to(ROOT / ".artifacts")
