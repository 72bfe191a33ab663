"""The pristine stubs: is a kata untouched, and what does `reset` restore?

Where the pristine stub comes from, in order:

1. git: ``HEAD:katas/NN_slug/kata.py``, when the repository is a git checkout and that
   version still raises ``NotImplementedError`` (it is a stub, not work the learner
   committed). One ``git cat-file --batch`` call reads every kata's at once.
2. a snapshot, ``.harness/stubs/NN_slug/kata.py``, saved the first time the harness
   sees the kata looking untouched: kata.py raises ``NotImplementedError`` and, in a
   git checkout, equals HEAD's version. It serves downloads without git, and
   learners who commit their answers.

A kata is "not started" when its kata.py equals the pristine stub (line endings
aside). Without either source the harness does not guess: the kata is judged by its
tests alone, and `reset` says it has nothing to restore.

`reset` never loses work: the learner's file is copied to
``.harness/backups/NN_slug/`` and read back before the stub replaces it.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from harness.catalog import Kata
from harness.state import harness_dir, write_atomically
from harness.terminal import Console, ask_yes_no

STUB_MARK = b"raise NotImplementedError"
GIT_TIMEOUT = 10

RESET_QUESTION = "Replace {stub} with the original stub? Your file is saved first."
RESET_DONE = (
    "Saved your file to {backup}\n"
    "Restored the original stub in {stub}. Start again with: python -m harness run {name}"
)
RESET_RESTORED_MISSING = "{stub} was missing; restored the original stub."
RESET_CANCELLED = "Nothing changed. (To skip this question: python -m harness reset {name} --yes)"
RESET_ALREADY = "{stub} is already the original stub: nothing to reset."
RESET_NO_SOURCE = (
    "There is no copy of the original stub of {name} to restore: this is not a git "
    "checkout and the harness never saw the file untouched. Download "
    "katas/{name}/kata.py again from the repository, or rename it to keep your work."
)
RESET_BACKUP_FAILED = "Could not save a copy of {stub} to {backup}, so it was left as it is."


def normalized(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")


def looks_like_stub(data: bytes | None) -> bool:
    return data is not None and STUB_MARK in data


def snapshot_path(kata: Kata) -> Path:
    return harness_dir(kata.root) / "stubs" / kata.name / "kata.py"


def backups_dir(kata: Kata) -> Path:
    return harness_dir(kata.root) / "backups" / kata.name


def from_git(root: Path, katas: Iterable[Kata]) -> dict[str, bytes]:
    """HEAD's kata.py of each kata, read with one git call; {} outside a git checkout."""
    katas = list(katas)
    if not katas:
        return {}
    request = "".join(f"HEAD:./{kata.relative(kata.stub)}\n" for kata in katas).encode()
    try:
        done = subprocess.run(
            ["git", "cat-file", "--batch"],
            cwd=root,
            input=request,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    if done.returncode != 0:
        return {}
    found: dict[str, bytes] = {}
    data, position = done.stdout, 0
    for kata in katas:
        end = data.find(b"\n", position)
        if end < 0:
            break
        header = data[position:end].split()
        position = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            found[kata.name] = data[position : position + size]
            position += size + 1  # the content, then a newline
    return found


def pristine(root: Path, katas: Iterable[Kata]) -> dict[str, bytes]:
    """The pristine stub of each kata that has one (git first, then a snapshot)."""
    katas = list(katas)
    git = from_git(root, katas)
    remember_untouched(katas, git)
    found = {}
    for kata in katas:
        if looks_like_stub(git.get(kata.name)):
            found[kata.name] = git[kata.name]
        elif snapshot_path(kata).is_file():
            found[kata.name] = snapshot_path(kata).read_bytes()
    return found


def remember_untouched(katas: Iterable[Kata], git: dict[str, bytes]) -> None:
    """Snapshot each stub that looks untouched and has no snapshot yet."""
    for kata in katas:
        snapshot = snapshot_path(kata)
        if snapshot.exists() or not kata.stub.is_file():
            continue
        current = kata.stub.read_bytes()
        in_git = git.get(kata.name)
        if looks_like_stub(current) and (
            in_git is None or normalized(in_git) == normalized(current)
        ):
            with contextlib.suppress(OSError):  # a read-only checkout: git or nothing, then
                write_atomically(snapshot, current)


def is_untouched(kata: Kata, stub: bytes | None) -> bool:
    if stub is None or not kata.stub.is_file():
        return False
    return normalized(kata.stub.read_bytes()) == normalized(stub)


def backup(kata: Kata, stamp: Callable[[], float] = time.time) -> Path:
    """Copy the learner's kata.py into .harness/backups/NN_slug/ and check the copy."""
    folder = backups_dir(kata)
    folder.mkdir(parents=True, exist_ok=True)
    base = time.strftime("kata-%Y%m%d-%H%M%S", time.localtime(stamp()))
    target = folder / f"{base}.py"
    counter = 1
    while target.exists():
        counter += 1
        target = folder / f"{base}-{counter}.py"
    shutil.copy2(kata.stub, target)
    if target.read_bytes() != kata.stub.read_bytes():
        raise OSError(f"the copy in {target} differs from the original")
    return target


def reset(kata: Kata, console: Console, *, yes: bool = False) -> int:
    """Restore the pristine stub of ``kata`` after a confirmation; 0 when done."""
    stub_shown = kata.relative(kata.stub)
    original = pristine(kata.root, [kata]).get(kata.name)
    if original is None:
        console.print(RESET_NO_SOURCE.format(name=kata.name))
        return 1
    if not kata.stub.exists():
        write_atomically(kata.stub, original)
        console.print(RESET_RESTORED_MISSING.format(stub=stub_shown))
        return 0
    if is_untouched(kata, original):
        console.print(RESET_ALREADY.format(stub=stub_shown))
        return 0
    if not yes and not ask_yes_no(RESET_QUESTION.format(stub=stub_shown), console.ask):
        console.print(RESET_CANCELLED.format(name=kata.name))
        return 1
    try:
        saved = backup(kata, console.now)
    except OSError as error:
        console.print(RESET_BACKUP_FAILED.format(stub=stub_shown, backup=backups_dir(kata)))
        console.print(f"  ({error})")
        return 1
    write_atomically(kata.stub, original, mode=saved.stat().st_mode & 0o777)
    console.print(RESET_DONE.format(backup=kata.relative(saved), stub=stub_shown, name=kata.name))
    return 0
