"""The dojo on one machine: its clock, sleep and keyboard are fakes, so nothing waits for
real; the tests run in real pytest subprocesses on the fake curriculum."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from harness import catalog, cli, runner
from harness.dojo import lights, local
from harness.terminal import Console
from harness.tests import fake_curriculum as fake
from harness.tests.fake_time import FakeTime, fake_console

pytestmark = pytest.mark.timeout(60)


def dojo(root: Path, screen: Console, *args: str) -> tuple[int, str]:
    code = cli.main(["--root", str(root), "dojo", *args], screen)
    return code, screen.out.getvalue()


def saved_report(root: Path) -> tuple[str, dict]:
    [markdown] = sorted((root / ".harness" / "dojo").glob("*.md"))
    document = json.loads(markdown.with_suffix(".json").read_text(encoding="utf-8"))
    return markdown.read_text(encoding="utf-8"), document


def test_the_tests_run_on_save_and_on_enter_and_the_dojo_ends_when_green(fake_repo):
    clock = FakeTime()
    path = fake_repo / "katas" / "02_greet" / "kata.py"
    clock.at(
        clock.now + 20, lambda: path.write_text(fake.SOLVED["02_greet"].replace("hello", "hi"))
    )
    keys = {clock.now + 40: ""}  # Enter at 0:40 runs the tests without a save
    clock.at(clock.now + 70, lambda: path.write_text(fake.SOLVED["02_greet"]))

    def keyboard() -> str | None:
        due = [when for when in keys if when <= clock.now]
        return keys.pop(due[0]) if due else None

    code, output = dojo(fake_repo, fake_console(clock, keyboard), "greet", "--people", "ana,bo")
    assert code == 0, output
    verdicts = [line for line in output.splitlines() if line.startswith(("RED", "GREEN", "AMBER"))]
    assert verdicts == [
        "RED   0 of 2 tests pass",  # at the start
        "RED   0 of 2 tests pass",  # saved at 0:20
        "RED   0 of 2 tests pass",  # Enter at 0:40
        "GREEN all 2 tests pass",  # saved at 1:10
    ]
    assert "await greet('ana') should give 'hello ana'" in output, "each failure is shown in full"
    assert "4:40 left in turn 1." in output and "3:50 left in turn 1." in output
    assert "02_greet is green after 1:10 and 1 turn(s)" in output
    _, document = saved_report(fake_repo)
    [turn] = document["turns"]
    assert [run["trigger"] for run in turn["runs"]] == ["save", "enter", "save"]
    assert [run["colour"] for run in turn["runs"]] == ["red", "red", "green"]
    assert turn["green_at"] == document["green_after"] == pytest.approx(70, abs=0.2)


def test_dojo_rotates_driver_and_navigator_and_records_the_verdict_at_each_rotation(fake_repo):
    clock = FakeTime()
    start = clock.now
    path = fake_repo / "katas" / "02_greet" / "kata.py"
    clock.at(start + 120 + 30, lambda: path.write_text(fake.SOLVED["02_greet"]))
    screen = fake_console(clock, lambda: None)
    code, output = dojo(fake_repo, screen, "greet", "--minutes", "2", "--people", "ana, bo,cy")
    assert code == 0
    assert "Turn 1: ana drives, bo navigates — 2 min." in output
    assert "Turn 2: bo drives, cy navigates" in output
    assert "1 minute left in this turn: ana" in output
    assert "1:00 left in turn 1." not in output, "the wrap-up warning says that minute"
    assert output.count("Time! Rotate the keyboard.") == 1
    assert "At the rotation: RED   0 of 2 tests pass" in output
    assert "GREEN all 2 tests pass" in output
    assert "02_greet is green after 2:30 and 2 turn(s)" in output
    table = output[output.index("Dojo report") :]
    assert "turn  driver  navigator  runs  lights  at the rotation  green at" in table
    assert "1     ana     bo         0     —       red 0 of 2       —" in table
    assert "2     bo      cy         1     G       green 2 of 2     2:30" in table
    markdown, document = saved_report(fake_repo)
    assert "| 1 | ana | bo | 0 | — | red 0 of 2 | — |" in markdown
    assert "| 2 | bo | cy | 1 | G | green 2 of 2 | 2:30 |" in markdown
    assert "## Retrospective" in markdown
    first, second = document["turns"]
    assert (first["driver"], first["navigator"], first["green_at"]) == ("ana", "bo", None)
    assert first["at_rotation"]["colour"] == "red" and first["ended"] == 120
    assert second["at_rotation"]["colour"] == "green"
    assert second["green_at"] == pytest.approx(150, abs=0.2)
    assert document["outcome"] == "green" and document["people"] == ["ana", "bo", "cy"]
    assert document["before"]["trigger"] == "start" and document["before"]["colour"] == "red"


def test_the_navigator_becomes_the_driver_and_the_first_person_comes_round_again():
    screen = fake_console(FakeTime(), lambda: None)
    for turn in (1, 2, 3, 4):
        local.announce_turn(screen, turn, ["ana", "bo", "cy"], 5)
    local.announce_turn(screen, 1, ["ana"], 5)
    local.announce_turn(screen, 1, [], 5)
    assert screen.out.getvalue().splitlines() == [
        "Turn 1: ana drives, bo navigates — 5 min.",
        "Turn 2: bo drives, cy navigates — 5 min.",
        "Turn 3: cy drives, ana navigates — 5 min.",
        "Turn 4: ana drives, bo navigates — 5 min.",
        "Turn 1: ana drives — 5 min.",
        "Turn 1: the navigator takes the keyboard, the next person navigates — 5 min.",
    ]


def test_dojo_stops_after_the_turns_asked_for(fake_repo):
    screen = fake_console(FakeTime(), lambda: None)
    kata = catalog.load(fake_repo).get("greet")
    code = local.dojo_command(fake_repo, kata, screen, minutes=1, people=[], turns=1)
    output = screen.out.getvalue()
    assert code == 1
    assert "Turn 1: the navigator takes the keyboard" in output
    assert "Dojo ended after 1:00, 1 turn(s); 02_greet is red." in output
    assert "not green after the 1 turn(s) asked for (1:00)" in output
    assert saved_report(fake_repo)[1]["outcome"] == "turns"


def test_q_ends_the_dojo_and_the_report_is_still_saved(fake_repo):
    clock = FakeTime()
    keys = iter([None, None, "q"])
    code, output = dojo(fake_repo, fake_console(clock, lambda: next(keys, None)), "add")
    assert code == 1
    assert "Dojo ended after 0:00, 1 turn(s); 01_add is red." in output
    assert "ended by the group after 0:00, not green" in output
    assert saved_report(fake_repo)[1]["outcome"] == "quit"


def test_a_kata_that_already_passes_is_flagged_and_reset_when_the_group_agrees(fake_repo):
    path = fake.write(fake_repo, "01_add", fake.SOLVED["01_add"])
    keys = iter([None, "q"])
    screen = fake_console(FakeTime(), lambda: next(keys, None), answer="y")
    code, output = dojo(fake_repo, screen, "add")
    assert "Warning: 01_add already passes — every test is green before anyone has typed" in output
    assert "Saved your file to .harness/backups/01_add/" in output
    assert path.read_text() == fake.STUBS["01_add"], "the stub is back"
    verdicts = [line for line in output.splitlines() if line.startswith(("RED", "GREEN"))]
    assert verdicts == ["GREEN all 2 tests pass", "RED   0 of 2 tests pass"]
    assert code == 1 and "started red (0 of 2 tests pass)" in output


def test_a_kata_that_already_passes_goes_on_without_a_reset_when_the_group_declines(fake_repo):
    path = fake.write(fake_repo, "01_add", fake.SOLVED["01_add"])
    screen = fake_console(FakeTime(), lambda: None, answer="n")
    code, output = dojo(fake_repo, screen, "add", "--turns", "1", "--minutes", "1")
    assert "already passes" in output and "goes on without a reset" in output
    assert path.read_text() == fake.SOLVED["01_add"]
    assert "Time! Rotate the keyboard." in output, "green does not end it: the turn runs out"
    assert code == 0 and "At the rotation: GREEN all 2 tests pass" in output


class Screen(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_countdown_is_one_line_rewritten_in_place(fake_repo):
    clock = FakeTime()
    keys = {clock.now + 3: "q"}
    screen = Console(
        out=Screen(),
        env={"NO_COLOR": "1"},
        clock=clock.clock,
        sleep=clock.sleep,
        read_line=lambda: keys.pop(min(keys), None) if keys and min(keys) <= clock.now else None,
        ask=lambda prompt: "n",
    )
    dojo(fake_repo, screen, "add", "--people", "ana,bo")
    output = screen.out.getvalue()
    assert "\r\x1b[K5:00 left in turn 1, ana drives, bo navigates — save or Enter" in output
    assert "\r\x1b[K4:58 left in turn 1" in output
    assert "left in turn 1.\n" not in output, "no countdown lines piled up on a terminal"


def kata_run(root: Path, kata: str) -> runner.KataRun:
    entries = catalog.load(root)
    runs, _ = runner.run_katas(root, entries, [entries.get(kata)], ["-q", "--tb=no"])
    return runs[entries.get(kata).name]


def test_a_light_is_amber_when_the_code_cannot_be_loaded_red_when_a_test_fails_green_when_all_pass(
    fake_repo,
):
    fake.write(fake_repo, "01_add", fake.SYNTAX_ERROR_ADD)
    assert lights.colour_of(kata_run(fake_repo, "01")) == "amber", "a syntax error in kata.py"
    fake.write(fake_repo, "01_add", fake.HALF_DONE_ADD)
    half = kata_run(fake_repo, "01")
    assert lights.colour_of(half) == "red"
    assert lights.failing_tests(half) == ["test_one_and_one_make_two"]
    fake.write(fake_repo, "01_add", fake.SOLVED["01_add"])
    assert lights.colour_of(kata_run(fake_repo, "01")) == "green"
    tests = fake_repo / "katas" / "01_add" / "test_kata.py"
    tests.write_text("import no_such_module\n" + tests.read_text())
    assert lights.colour_of(kata_run(fake_repo, "01")) == "amber", (
        "test_kata.py cannot be collected"
    )
    assert lights.colour_of(kata_run(fake_repo, "02")) == "red", "an untouched stub fails: red"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["--join", "http://127.0.0.1:8765/room/K7P2QX9M/"],
            "--join URL and --team NAME go together",
        ),
        (["--team", "orders"], "--join URL and --team NAME go together"),
        (["--join", "http://127.0.0.1:8765/", "--team", "orders"], "is not a room's address"),
        (["--join", "http://127.0.0.1:8765/room/K7P2QX9M/", "--team", " "], "team must be 1 to 40"),
    ],
)
def test_joining_a_room_needs_its_address_and_a_team_name(fake_repo, capsys, args, says):
    with pytest.raises(SystemExit) as exit_info:
        dojo(fake_repo, fake_console(FakeTime(), lambda: None), "add", *args)
    assert exit_info.value.code == 2 and says in capsys.readouterr().err


def test_a_room_that_cannot_be_reached_is_said_before_the_dojo_starts(fake_repo):
    # Port 9 (discard) on loopback: nothing listens there, the connection is refused.
    screen = fake_console(FakeTime(), lambda: None)
    url = "http://127.0.0.1:9/room/K7P2QX9M/"
    code, output = dojo(fake_repo, screen, "add", "--join", url, "--team", "orders")
    assert code == 1
    assert "cannot reach the dashboard at http://127.0.0.1:9/room/K7P2QX9M" in output
    assert "Turn 1" not in output
