"""How the judge explains a plain Python error raised in the learner's file."""

import textwrap

import aiohttp

from harness.judge.explain import explain
from harness.judge.frames import LearnerFile

SHOWN_AS = "katas/26_streaming/kata.py"


def learner_module(tmp_path, source: str) -> tuple[LearnerFile, dict]:
    """The learner's file, written and run: (how the judge sees it, its namespace)."""
    path = tmp_path / "kata.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    namespace: dict = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return LearnerFile(str(path), SHOWN_AS), namespace


def raised_by(function, *args) -> BaseException:
    try:
        function(*args)
    except Exception as error:  # noqa: BLE001 - the error is what the test looks at
        return error
    raise AssertionError(f"{function.__name__} raised nothing")


def test_a_plain_for_over_aiohttps_iter_chunked_is_told_to_use_async_for(tmp_path):
    """response.content.iter_chunked() is an AsyncStreamIterator: `for` needs `async for`."""
    learner, namespace = learner_module(
        tmp_path,
        """
        def read_all(chunks):
            for chunk in chunks:
                pass
        """,
    )
    chunks = aiohttp.streams.AsyncStreamIterator(lambda: None)
    found = explain(raised_by(namespace["read_all"], chunks), learner)
    assert "`for` was used on a AsyncStreamIterator object" in found.what, found.render()
    assert "async for" in (found.fix or ""), found.render()
    assert [(w.file, w.line) for w in found.where] == [(SHOWN_AS, 3)], found.where


def test_one_exception_object_raised_again_names_the_learners_lines_once(tmp_path):
    """A shared exception raised three times keeps all three tracebacks; the lines show once."""
    learner, namespace = learner_module(
        tmp_path,
        """
        CLOSED = ConnectionError("Connection closed")

        def read_body():
            raise CLOSED

        def download():
            read_body()
        """,
    )
    for _ in range(3):
        error = raised_by(namespace["download"])
    found = explain(error, learner)
    assert [(w.line, w.function) for w in found.where] == [(8, "download"), (5, "read_body")], (
        found.render()
    )
