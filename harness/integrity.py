"""Were a kata's tests changed? Its test_kata.py and the catalog (katas/katas.toml, where
the ideal times live) are compared with git's HEAD in a git checkout, and with
fingerprints taken earlier when there are some (an interview takes them at its start,
so a change committed during the interview is caught as well).

`interview` reports it; `status` can call :func:`check` with no fingerprints.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from harness.catalog import CATALOG_FILE, Kata

GIT_TIMEOUT = 10
MISSING = "missing"

AGAINST_GIT = "git HEAD"
AGAINST_START = "the start of the interview"
AGAINST_NOTHING = "nothing (not a git checkout, and no fingerprint was taken)"


@dataclass
class Integrity:
    """Which of the guarded files differ, and from what."""

    files: list[str]  # the files looked at, relative to the repository
    changed: list[str] = field(default_factory=list)
    against: list[str] = field(default_factory=list)  # AGAINST_GIT, AGAINST_START

    @property
    def known(self) -> bool:
        """Was there anything to compare with?"""
        return bool(self.against)

    @property
    def intact(self) -> bool:
        return self.known and not self.changed

    def describe(self) -> str:
        if not self.known:
            return f"unknown: compared with {AGAINST_NOTHING}"
        against = " and ".join(self.against)
        if self.changed:
            return f"YES: {', '.join(self.changed)} (compared with {against})"
        return f"no (compared with {against})"

    def to_json(self) -> dict[str, object]:
        return {"files": self.files, "changed": self.changed, "against": self.against}


def guarded(kata: Kata) -> list[str]:
    """The files that decide what "passing" means for ``kata``, as git names them."""
    return [kata.relative(kata.tests), CATALOG_FILE.as_posix()]


def fingerprint(root: Path, kata: Kata) -> dict[str, str]:
    """SHA-256 of each guarded file (line endings aside), to compare with later."""
    found = {}
    for name in guarded(kata):
        try:
            data = (root / name).read_bytes().replace(b"\r\n", b"\n")
        except OSError:
            found[name] = MISSING
            continue
        found[name] = hashlib.sha256(data).hexdigest()
    return found


def _git(root: Path, *args: str) -> list[str] | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.splitlines() if done.returncode == 0 else None


def changed_from_head(root: Path, names: list[str]) -> list[str] | None:
    """The names that differ from HEAD (or are not in it); None outside a git checkout."""
    in_head = _git(root, "ls-tree", "--name-only", "HEAD", "--", *names)
    if in_head is None:
        return None
    differ = _git(root, "diff", "--name-only", "HEAD", "--", *names)
    if differ is None:
        return None
    return [name for name in names if name in differ or name not in in_head]


def check(root: Path, kata: Kata, recorded: dict[str, str] | None = None) -> Integrity:
    """Compare the guarded files with HEAD (in git) and with ``recorded`` fingerprints."""
    names = guarded(kata)
    result = Integrity(files=names)
    changed: set[str] = set()
    from_head = changed_from_head(root, names)
    if from_head is not None:
        result.against.append(AGAINST_GIT)
        changed.update(from_head)
    if recorded:
        result.against.append(AGAINST_START)
        now = fingerprint(root, kata)
        changed.update(name for name in names if recorded.get(name) != now[name])
    result.changed = [name for name in names if name in changed]
    return result
