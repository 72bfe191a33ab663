"""Kata 32 — files. Run: pytest katas/32_files"""

import builtins
import contextlib
import gc
import inspect
import io
import os
import sys
import threading
import time
import warnings

import pytest

from harness.judge import LoopMonitor, assert_result, expect, fail

IN_A_THREAD = (
    "open and read the file in worker threads: `feed = await asyncio.to_thread(open, path, "
    "encoding='utf-8')`, then `await asyncio.to_thread(feed.readline)` for each line, or "
    "`await asyncio.to_thread(Path(path).read_text, encoding='utf-8')` for the whole file."
)
pytestmark = pytest.mark.blocking_fix("io.", IN_A_THREAD)

LOG = "12:00 oslo 3.5\n12:01 oslo 3.6\n12:02 oslo 3.4\n12:03 oslo 3.9\n"
READINGS = ["12:00 lima 18.0", "12:01 lima 18.2", "12:02 lima 18.1", "12:03 lima 17.9", "12:04 lima 17.8"]

# The slow sensor is a named pipe the test writes from a thread. It opens its end PAUSE
# after the test began (until then a reader's open() waits for it), and pauses again
# between lines. Opened or read on the loop's thread, the heartbeat waits a whole PAUSE
# (2x MAX_LAG) while the loop's thread is in the code under test. Only such stalls count:
# a loaded machine (two busy loops and more) also delays a free loop, by up to 0.1 s
# here, but not while it runs the code's own lines.
PAUSE = 0.25
MAX_LAG = 0.12
SHORT_PAUSE = 0.05  # the log arrives in two parts: the first read may return only the first
PATIENCE = 1.0  # seconds the feed waits for the reader to take a line (it takes microseconds)
NO_FIFO = (
    "named pipes (os.mkfifo) are POSIX-only: on Windows this kata cannot feed a file slowly, "
    "so the loop's heartbeat during a slow read is checked on Linux and macOS only"
)


# --- the sensor feed -------------------------------------------------------------------
class SlowSensor:
    """A named pipe fed by a thread, as a slow sensor would. It opens its end PAUSE after
    it was started (a reader's open() waits until then), then runs ``steps``:
    ("write", text), ("pause", seconds), or ("taken", n): wait until the test took n lines."""

    __test__ = False

    def __init__(self, path, steps):
        self.path = str(path)
        self.steps = steps
        self.taken = 0
        self.waited_in_vain: int | None = None  # the n of a ("taken", n) that never came
        self._changed = threading.Condition()
        self._closing = threading.Event()
        os.mkfifo(self.path)
        self._thread = threading.Thread(target=self._feed, name="slow sensor", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._closing.set()
        with self._changed:
            self._changed.notify_all()
        self._thread.join(PATIENCE)
        # A reader still waiting in open() for a writer: let it in, to find the end at once.
        with contextlib.suppress(OSError):
            os.close(os.open(self.path, os.O_WRONLY | os.O_NONBLOCK))

    def took_line(self) -> None:
        with self._changed:
            self.taken += 1
            self._changed.notify_all()

    def _feed(self) -> None:
        fd = self._connect()
        if fd is None:
            return
        try:
            for step, value in self.steps:
                if step == "write":
                    os.write(fd, value.encode())
                elif step == "pause":
                    self._closing.wait(value)
                elif not self._wait_taken(value):
                    self.waited_in_vain = value
        except OSError:
            pass  # the reader closed the pipe early
        finally:
            os.close(fd)

    def _connect(self) -> int | None:
        """Open the pipe for writing, PAUSE after the test began, once a reader has opened
        it (a reader's open() waits for this; the sensor never waits for good)."""
        self._closing.wait(PAUSE)
        deadline = time.monotonic() + 3 * PATIENCE
        while not self._closing.is_set() and time.monotonic() < deadline:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: no reader yet
                time.sleep(0.005)
                continue
            os.set_blocking(fd, True)
            return fd
        return None

    def _wait_taken(self, count: int) -> bool:
        deadline = time.monotonic() + PATIENCE
        with self._changed:
            while self.taken < count and not self._closing.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True


@pytest.fixture
def slow_sensor(tmp_path):
    """A factory: ``with slow_sensor(steps) as sensor:`` (POSIX only)."""
    if not hasattr(os, "mkfifo") or sys.platform == "win32":
        pytest.skip(NO_FIFO)
    return lambda steps: SlowSensor(tmp_path / "sensor.fifo", steps)


# --- closed files --------------------------------------------------------------------------
@contextlib.contextmanager
def files_left_open(path):
    """What the code left open of the files it opened at ``path``: the file objects that
    open(), io.open() or pathlib handed it are kept and looked at after the block (plus
    any file Python had to close for it, with a ResourceWarning)."""
    target = str(path)
    opened = []
    real_open = io.open

    def recording_open(file, *args, **kwargs):
        handle = real_open(file, *args, **kwargs)
        if isinstance(file, (str, os.PathLike)) and os.fspath(file) == target:
            opened.append(handle)
        return handle

    left: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        builtins.open = io.open = recording_open
        try:
            yield left
        finally:
            builtins.open = io.open = real_open
        gc.collect()
    name = os.path.basename(target)
    left += [repr(handle) for handle in opened if not handle.closed]
    left += [str(w.message) for w in caught if w.category is ResourceWarning and name in str(w.message)]
    for handle in opened:
        handle.close()


def assert_loop_not_blocked(monitor: LoopMonitor) -> None:
    """The heartbeat never waited more than MAX_LAG while the loop's thread was running the
    code under test (the watchdog names the line it was on)."""
    __tracebackhide__ = True
    blocked = [stall for stall in monitor.stalls if stall.where and stall.seconds > MAX_LAG]
    if blocked:
        worst = max(blocked, key=lambda stall: stall.seconds)
        fail(
            f"the event loop was blocked for {worst.seconds:.2f} s: a heartbeat task that should "
            f"tick every {monitor.tick * 1000:.0f} ms could not run while your code ran here:",
            fix=IN_A_THREAD,
            where=worst.where,
        )


def write_log(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return str(path)


def follow_readings_of(kata):
    """kata.follow_readings, after checking that it gives an async iterator."""
    __tracebackhide__ = True
    follow = kata.follow_readings
    if inspect.iscoroutinefunction(follow) and not inspect.isasyncgenfunction(follow):
        fail(
            "follow_readings is an `async def` without `yield`: it returns everything at once, "
            "and `async for` cannot loop over it.",
            fix="hand out each line with `yield line` inside the loop that reads them.",
        )
    return follow


async def take_all(stream, sensor=None) -> list:
    """Every item of the stream; each one reported to the sensor as soon as it arrives."""
    got = []
    async with contextlib.aclosing(stream):
        async for reading in stream:
            got.append(reading)
            if sensor is not None:
                sensor.took_line()
    return got


# --- read_log ------------------------------------------------------------------------------
async def test_read_log_returns_the_whole_log(kata, tmp_path):
    """The text comes back as it is in the file, every line of it."""
    path = write_log(tmp_path, "oslo.log", LOG)
    assert_result(await kata.read_log(path), LOG, call="await read_log('oslo.log')")


async def test_read_log_closes_the_file(kata, tmp_path):
    """A file you open, you close: `with open(...)` closes it on every path."""
    path = write_log(tmp_path, "closing.log", LOG)
    with files_left_open(path) as unclosed:
        text = await kata.read_log(path)
    assert_result(text, LOG, call="await read_log('closing.log')")
    expect(
        not unclosed,
        "read_log returned and left closing.log open: nothing closed the file it opened.",
        fix="open it with `with open(path, encoding='utf-8') as log:` inside the function that "
        "runs in the worker thread (or use Path(path).read_text, which closes it).",
    )


@pytest.mark.workload
async def test_the_loop_keeps_ticking_while_read_log_waits_for_a_slow_sensor(kata, kata_file, slow_sensor):
    """A read that waits for data blocks its thread: let it be a worker thread, not the loop's."""
    steps = [("write", LOG[:30]), ("pause", SHORT_PAUSE), ("write", LOG[30:])]
    with slow_sensor(steps) as sensor:
        async with LoopMonitor(kata_file) as monitor:
            text = await kata.read_log(sensor.path)
    assert_loop_not_blocked(monitor)
    assert_result(text, LOG, call="await read_log(path of a slow sensor)")


# --- follow_readings -----------------------------------------------------------------------
async def test_follow_readings_hands_out_every_line_without_its_line_ending(kata, tmp_path):
    """An async generator hands out lines one by one; the last one may have no newline."""
    path = write_log(tmp_path, "lima.log", "\n".join(READINGS))  # no newline at the very end
    got = await take_all(follow_readings_of(kata)(path))
    if got == [reading + "\n" for reading in READINGS[:-1]] + READINGS[-1:]:
        fail(
            f"follow_readings kept the line endings: {got[:2]}...",
            fix="hand out each line without its newline: `line.rstrip('\\n')`.",
        )
    assert_result(got, READINGS, call="the lines of follow_readings('lima.log')")


async def test_follow_readings_hands_out_each_line_as_soon_as_it_arrives(kata, kata_file, slow_sensor):
    """Lines are handed out while the sensor is still writing, and the loop never waits for it."""
    feed = [reading + "\n" for reading in READINGS[:3]]
    steps = [("write", feed[0] + feed[1]), ("taken", 2), ("pause", PAUSE), ("write", feed[2])]
    with slow_sensor(steps) as sensor:
        async with LoopMonitor(kata_file) as monitor:
            got = await take_all(follow_readings_of(kata)(sensor.path), sensor)
    expect(
        sensor.waited_in_vain is None,
        f"follow_readings handed out no line until the sensor had finished writing: the sensor "
        f"wrote 2 lines and waited {PATIENCE:.1f} s for them to be taken before writing the "
        "third, and nothing came.",
        fix="read one line per worker-thread call (`await asyncio.to_thread(feed.readline)`) "
        "and yield it before reading the next; read() and readlines() wait for the end of the file.",
    )
    assert_loop_not_blocked(monitor)
    assert_result(got, READINGS[:3], call="the lines of follow_readings(path of a slow sensor)")


async def test_follow_readings_closes_the_file_when_the_caller_stops_early(kata, tmp_path):
    """Closing an async generator early runs its `finally` (or `with`): the file is closed."""
    path = write_log(tmp_path, "early.log", "".join(reading + "\n" for reading in READINGS))
    got = []
    with files_left_open(path) as unclosed:
        async with contextlib.aclosing(follow_readings_of(kata)(path)) as readings:
            async for reading in readings:
                got.append(reading)
                if len(got) == 2:
                    break
    assert_result(got, READINGS[:2], call="the first two lines of follow_readings('early.log')")
    expect(
        not unclosed,
        "follow_readings left early.log open when the caller stopped after two lines: closing "
        "the generator (aclose) did not close the file.",
        fix="close the file in a `finally:` around the loop that yields the lines (or open it "
        "with `with`): aclose() runs it.",
    )
