"""`python -m harness`: the learner's command line.

This module only declares the arguments and dispatches. The work is done in the core:
progress (status), run, reveal (hint, solution), stubs (reset), watch, bench, dojo and
interview; each takes the repository root, so the tests drive them on a fake
curriculum (the hidden ``--root`` option).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from harness import bench, interview, portable, progress, reveal, run, state, stubs, watch
from harness import catalog as catalog_module
from harness.catalog import LEVELS, Catalog, Kata
from harness.dojo import local as dojo_local
from harness.dojo import room as dojo_room
from harness.dojo.client import Dashboard, DashboardError
from harness.terminal import Console

COMMANDS = ("status", "run", "hint", "watch", "reset", "solution", "bench", "dojo", "interview")

DESCRIPTION = "Your progress through the asyncio katas, and the tools to work on them."
EPILOG = (
    "Start with `python -m harness` (your progress and the next kata), then "
    "`python -m harness watch` while you edit. Every command has --help."
)
UNKNOWN_KATA = (
    "unknown kata {name!r}. Valid names: {names} (a number such as {number} or a slug "
    "such as {slug} works too)"
)
UNKNOWN_COMMAND = "unknown command {word!r}. Commands: {commands} (status is the default)"
NO_CATALOG = "there is no {catalog} in {root}: run from the repository, or give --root"
BAD_CATALOG = "{catalog} cannot be read: {error}"
NEED_JOIN_AND_TEAM = "--join URL and --team NAME go together: a team joins a room by name"
NOTHING_NEXT = (
    "No kata is left to work on: every kata passes (or the rest are missing files). "
    "Name one: python -m harness {command} {example}"
)


def build_parser() -> argparse.ArgumentParser:
    # --root is hidden: it points the harness at another curriculum (the tests' fake one).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    parser = argparse.ArgumentParser(
        prog="python -m harness", description=DESCRIPTION, epilog=EPILOG, parents=[common]
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    by_name: dict[str, argparse.ArgumentParser] = {}
    parser.set_defaults(by_name=by_name)

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        by_name[name] = commands.add_parser(
            name, help=summary, description=summary, parents=[common]
        )
        return by_name[name]

    kata_help = "a kata: 02_gather, gather or 2 (default: the next kata you have not solved)"

    status = command("status", "every kata's state, a progress bar and the next kata (the default)")
    status.add_argument("--json", action="store_true", help="print a JSON document for tools")
    status.add_argument(
        "--fresh", action="store_true", help="ignore the cache: run every kata's tests again"
    )

    run_parser = command(
        "run", "run one kata's tests; on success, where the solution is and what is next"
    )
    run_parser.add_argument("kata", nargs="?", help=kata_help)

    hint = command("hint", "reveal the next hint for a kata, one per call")
    hint.add_argument("kata", nargs="?", help=kata_help)

    watch_parser = command("watch", "re-run a kata's tests each time you save its kata.py")
    watch_parser.add_argument("kata", nargs="?", help=kata_help)
    watch_parser.add_argument(
        "--poll",
        type=POLL_SECONDS,
        default=watch.DEFAULT_POLL,
        metavar="SECONDS",
        help=f"how often to look at the file (default {watch.DEFAULT_POLL:g} s); "
        "Enter re-runs by hand",
    )

    reset = command("reset", "restore a kata's original stub (your file is backed up first)")
    reset.add_argument("kata", help="the kata to reset: 02_gather, gather or 2")
    reset.add_argument("--yes", action="store_true", help="do not ask for a confirmation")

    solution = command("solution", "show a kata's reference solution, once your kata passes")
    solution.add_argument("kata", help="the kata: 02_gather, gather or 2")
    solution.add_argument(
        "--force", action="store_true", help="show it even though your kata does not pass"
    )

    bench_parser = command("bench", "time a kata's workload test against its ideal time")
    bench_parser.add_argument("kata", nargs="?", help="a kata (default: all of them)")
    bench_parser.add_argument(
        "--solutions",
        action="store_true",
        help="time the reference solutions; with no kata, also the whole suite and the stubs",
    )
    bench_parser.add_argument(
        "--repeat",
        type=REPEATS,
        default=bench.DEFAULT_REPEAT,
        metavar="N",
        help=f"keep the best of N runs (default {bench.DEFAULT_REPEAT})",
    )
    bench_parser.add_argument("--json", action="store_true", help="print a JSON document for tools")

    dojo_parser = command(
        "dojo",
        "a group, one kata, a timer: tests on save, rotations, a report; "
        "or a room's live dashboard (serve)",
    )
    dojo_parser.add_argument(
        "kata",
        metavar="KATA",
        help="the kata: 02_gather, gather or 2; or `serve` to open a room's dashboard, "
        "or `bench` to measure it",
    )
    dojo_parser.add_argument(
        "--minutes",
        type=TURN_MINUTES,
        default=5.0,
        metavar="M",
        help="minutes per turn (default 5)",
    )
    dojo_parser.add_argument("--people", metavar='"ana,bo,cy"', help="who takes turns, in order")
    dojo_parser.add_argument(
        "--turns", type=TURNS, metavar="N", help="stop after N turns (default: when green)"
    )
    team = dojo_parser.add_argument_group("a team in a room (see `dojo serve`)")
    team.add_argument(
        "--join", metavar="URL", help="the room's address, as `dojo serve` printed it"
    )
    team.add_argument("--team", metavar="NAME", help="your team's name on the dashboard")
    team.add_argument(
        "--share-code",
        action="store_true",
        help="also send kata.py with each run, for the room to read (off by default)",
    )
    room = dojo_parser.add_argument_group("dojo serve")
    room.add_argument(
        "--kata", dest="room_kata", metavar="KATA", help="the kata the room works on (optional)"
    )
    room.add_argument(
        "--host",
        default=dojo_room.DEFAULT_HOST,
        help=f"where to listen (default {dojo_room.DEFAULT_HOST}: this machine only; "
        "0.0.0.0 lets the room's machines join)",
    )
    room.add_argument(
        "--port",
        type=port_number,
        default=dojo_room.DEFAULT_PORT,
        help=f"the port (default {dojo_room.DEFAULT_PORT}; 0 picks a free one)",
    )
    room.add_argument("--teams", type=BENCH_TEAMS, default=30, help=argparse.SUPPRESS)
    room.add_argument("--seconds", type=BENCH_SECONDS, default=60.0, help=argparse.SUPPRESS)

    interview_parser = command(
        "interview", "a timed kata you have not solved, with no hints, and a report"
    )
    interview_parser.add_argument("--level", choices=LEVELS, help="only katas of this level")
    interview_parser.add_argument(
        "--minutes",
        type=INTERVIEW_MINUTES,
        default=interview.DEFAULT_MINUTES,
        metavar="M",
        help=f"the time allowed (default {interview.DEFAULT_MINUTES:g})",
    )
    interview_parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    return parser


def number_in(low: float, high: float, unit: str, example: str) -> Callable[[str], float]:
    """An argparse type: a finite number from ``low`` (excluded when 0) to ``high``.

    nan, inf, negative numbers and zero are usage errors that say what is valid.
    """

    def number(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and low <= value <= high and (low > 0 or value > 0)):
            start = f"more than {low:g}" if low == 0 else f"from {low:g}"
            raise argparse.ArgumentTypeError(
                f"{text!r} is not valid: give a number of {unit} {start} to {high:g}, "
                f"such as {example}"
            )
        return value

    return number


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return value


def whole_number_in(low: int, high: int, unit: str) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``."""

    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not valid: give a whole number of {unit} from {low} to {high}"
            )
        return value

    return whole


# How often `watch` looks at the file: too often is a busy loop, too rarely misses the point.
POLL_SECONDS = number_in(0.01, 60, "seconds", "0.5")
# A dojo turn: 3 s (a drill, and the room test) to four hours.
TURN_MINUTES = number_in(0.05, 240, "minutes", "5")
INTERVIEW_MINUTES = number_in(0, state.LONGEST_INTERVIEW / 60, "minutes", "30")
TURNS = whole_number_in(1, 1000, "turns")
REPEATS = whole_number_in(1, 100, "runs")
BENCH_TEAMS = whole_number_in(1, 200, "teams")  # `dojo bench`'s simulated room
BENCH_SECONDS = number_in(0, 3600, "seconds", "60")


def with_default_command(argv: list[str]) -> list[str]:
    """No command given (``python -m harness``, ``python -m harness --json``): status."""
    if any(word in COMMANDS or word in ("-h", "--help") for word in argv):
        return argv
    return ["status", *argv]


def first_word(argv: list[str]) -> str | None:
    """The first argument that is not an option (nor --root's value): the command."""
    words = iter(argv)
    for word in words:
        if word == "--root":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def find_kata(catalog: Catalog, name: str) -> Kata | None:
    """A kata by name, slug, number, or its folder as typed (``katas/02_gather/``)."""
    cleaned = name.strip().rstrip("/\\")
    for prefix in ("katas/", "katas\\", "solutions/", "solutions\\"):
        cleaned = cleaned.removeprefix(prefix)
    return catalog.get(cleaned)


def resolve(parser: argparse.ArgumentParser, catalog: Catalog, name: str) -> Kata:
    kata = find_kata(catalog, name)
    if kata is None:
        first = catalog[0] if catalog else None
        parser.error(
            UNKNOWN_KATA.format(
                name=name,
                names=", ".join(k.name for k in catalog) or "(none)",
                number=first.number if first else 1,
                slug=first.slug if first else "gather",
            )
        )
    return kata


def next_or_named(
    parser: argparse.ArgumentParser,
    catalog: Catalog,
    root: Path,
    name: str | None,
    command: str,
    console: Console,
) -> Kata | None:
    if name is not None:
        return resolve(parser, catalog, name)
    upcoming = progress.next_kata(progress.refresh(root).statuses)
    if upcoming is None:
        console.print(
            NOTHING_NEXT.format(command=command, example=catalog[0].name if catalog else "01")
        )
    return upcoming.kata if upcoming else None


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    word = first_word(words)
    if word is not None and word not in COMMANDS:
        parser.error(UNKNOWN_COMMAND.format(word=word, commands=", ".join(COMMANDS)))
    args = parser.parse_args(with_default_command(words))
    console = console or Console()
    root = Path(getattr(args, "root", None) or catalog_module.ROOT)
    catalog_file = catalog_module.CATALOG_FILE.as_posix()
    try:
        root = root.resolve()
        found = (root / catalog_module.CATALOG_FILE).is_file()
    except (OSError, ValueError):  # a path the system cannot even look at
        found = False
    if not found:
        parser.error(NO_CATALOG.format(catalog=catalog_file, root=root))
    try:
        catalog = catalog_module.load(root)
    except (OSError, ValueError, TypeError) as error:  # TOMLDecodeError, CatalogError too
        parser.error(BAD_CATALOG.format(catalog=catalog_file, error=error))
    # Usage errors (an unknown kata) show the usage of the command at fault.
    parser = args.by_name.get(args.command, parser)
    # SIGTERM and a closed terminal (SIGHUP) stop the command as Ctrl-C does, so the
    # test processes it started are stopped too (see runner.PendingSession).
    with portable.stopping_on_signals():
        try:
            note = state.repair(root)
            if note:
                console.note(note)
            return dispatch(parser, args, catalog, root, console)
        except KeyboardInterrupt:
            with contextlib.suppress(OSError, ValueError):
                console.print()
            return 130
        except portable.Stopped as stop:
            return stop.exit_code  # the terminal may be gone: nothing more to say


def dispatch(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    catalog: Catalog,
    root: Path,
    console: Console,
) -> int:
    command = args.command
    if command == "status":
        return progress.status_command(root, console, as_json=args.json, fresh=args.fresh)
    if command in ("run", "hint", "watch"):
        kata = next_or_named(parser, catalog, root, args.kata, command, console)
        if kata is None:
            return 0
        if command == "run":
            return run.run_command(root, kata, console)
        if command == "hint":
            return reveal.hint_command(root, kata, console)
        return watch.watch_command(root, kata, console, poll=args.poll)
    if command == "reset":
        return stubs.reset(resolve(parser, catalog, args.kata), console, yes=args.yes)
    if command == "solution":
        return reveal.solution_command(
            root, resolve(parser, catalog, args.kata), console, force=args.force
        )
    if command == "bench":
        katas = [resolve(parser, catalog, args.kata)] if args.kata else list(catalog)
        return bench.bench_command(
            root,
            katas,
            console,
            solutions=args.solutions,
            repeat=args.repeat,
            suite=args.solutions and not args.kata,
            as_json=args.json,
        )
    if command == "dojo":
        return dojo_dispatch(parser, args, catalog, root, console)
    if command == "interview":
        rng = random.Random(args.seed) if args.seed is not None else None
        return interview.interview_command(
            root, console, level=args.level, minutes=args.minutes, rng=rng
        )
    parser.error(f"unknown command {command!r}")
    return 2


def dojo_dispatch(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    catalog: Catalog,
    root: Path,
    console: Console,
) -> int:
    room_kata = resolve(parser, catalog, args.room_kata) if args.room_kata else None
    if args.kata == "serve":
        from harness.dojo import server  # aiohttp is imported only for a room

        return server.serve_command(root, room_kata, console, host=args.host, port=args.port)
    if args.kata == "bench":
        from harness.dojo import bench as dojo_bench

        return dojo_bench.bench_command(
            root, console, kata=room_kata, teams=args.teams, seconds=args.seconds
        )
    kata = resolve(parser, catalog, args.kata)
    dashboard = None
    if args.join or args.team:
        if not (args.join and args.team):
            parser.error(NEED_JOIN_AND_TEAM)
        try:
            team = dojo_room.clean_name(args.team)
            dashboard = Dashboard(args.join, team, kata.name, share_code=args.share_code)
        except (dojo_room.Rejected, DashboardError) as problem:
            parser.error(str(problem))
    return dojo_local.dojo_command(
        root,
        kata,
        console,
        minutes=args.minutes,
        people=dojo_local.people_of(args.people),
        turns=args.turns,
        dashboard=dashboard,
    )
