"""What the learner's file says, read as code: wrote() and excepts()."""

import asyncio
import textwrap

import aiohttp

from harness.judge import excepts, wrote
from harness.judge.frames import LearnerFile

FORECAST = '''
import asyncio
import aiohttp


async def forecast(session, url):
    async def fetch():
        try:
            return await session.get(url)
        except (aiohttp.ClientResponseError, KeyError):
            return None

    try:
        async with asyncio.timeout(1):
            return await fetch()
    except:
        return "cached"


def parse(text):
    try:
        return int(text)
    except asyncio.CancelledError:
        raise
'''


def learner_file(tmp_path, source: str) -> LearnerFile:
    path = tmp_path / "kata.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return LearnerFile(str(path), "katas/05_timeouts/kata.py")


def test_wrote_names_what_the_file_calls(tmp_path):
    kata = learner_file(tmp_path, FORECAST)
    assert wrote(kata, "asyncio.timeout") and wrote(kata, "timeout")
    assert not wrote(kata, "gather")


def test_each_except_clause_is_found_in_its_own_function_in_line_order(tmp_path):
    found = excepts(learner_file(tmp_path, FORECAST))
    assert [(h.where.line, h.where.function, h.written) for h in found] == [
        (10, "forecast.fetch", "(aiohttp.ClientResponseError, KeyError)"),
        (16, "forecast", ""),
        (23, "parse", "asyncio.CancelledError"),
    ]
    assert found[0].where.file == "katas/05_timeouts/kata.py"
    assert found[1].where.source == "except:"


def test_a_clause_catches_by_class_name_and_a_bare_except_catches_everything(tmp_path):
    narrow, bare, cancelled = excepts(learner_file(tmp_path, FORECAST))
    assert narrow.catches(aiohttp.ClientResponseError)
    assert not narrow.catches(aiohttp.ServerDisconnectedError())
    assert bare.catches(asyncio.CancelledError) and bare.catches(TimeoutError)
    assert cancelled.catches(asyncio.CancelledError) and not cancelled.catches(TimeoutError)


def test_a_file_that_does_not_parse_has_no_clauses(tmp_path):
    assert excepts(learner_file(tmp_path, "def broken(:\n")) == ()
