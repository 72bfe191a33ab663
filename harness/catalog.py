"""The kata catalog: reads katas/katas.toml and computes every path from it.

Nothing else in the repository keeps a list of katas: the README table, the pytest
plugin, the CLI and the checks all ask this module.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG_FILE = Path("katas") / "katas.toml"
LEVELS = ("beginner", "intermediate", "advanced")


@dataclass(frozen=True)
class Kata:
    number: int
    slug: str
    title: str
    level: str
    concepts: tuple[str, ...]
    hints: tuple[str, ...]
    ideal: float | None
    root: Path
    steps: bool = False  # a capstone: each test is a step ("4 of 9 steps")

    @property
    def name(self) -> str:
        """The folder name, e.g. ``02_gather``."""
        return f"{self.number:02d}_{self.slug}"

    @property
    def dir(self) -> Path:
        return self.root / "katas" / self.name

    @property
    def stub(self) -> Path:
        return self.dir / "kata.py"

    @property
    def tests(self) -> Path:
        return self.dir / "test_kata.py"

    @property
    def lesson(self) -> Path:
        return self.dir / "README.md"

    @property
    def solution_dir(self) -> Path:
        return self.root / "solutions" / self.name

    @property
    def solution(self) -> Path:
        return self.solution_dir / "kata.py"

    @property
    def wrong_variants(self) -> list[Path]:
        """Known-wrong answers: the mistakes this kata teaches, each must be rejected."""
        return sorted(self.solution_dir.glob("wrong_*.py"))

    @property
    def right_variants(self) -> list[Path]:
        """Accepted answers written differently from the reference: each must pass."""
        return sorted(self.solution_dir.glob("right_*.py"))

    def relative(self, path: Path) -> str:
        """A path as the learner types it, relative to the repository root."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


class Catalog(tuple):
    """The katas in order. A tuple of :class:`Kata` with look-ups."""

    root: Path

    def __new__(cls, katas: list[Kata], root: Path) -> Catalog:
        self = super().__new__(cls, katas)
        self.root = root
        return self

    def get(self, name: str) -> Kata | None:
        """Find a kata by folder name (``02_gather``), slug (``gather``) or number."""
        for kata in self:
            if name in (kata.name, kata.slug, str(kata.number), f"{kata.number:02d}"):
                return kata
        return None

    def containing(self, path: Path) -> Kata | None:
        """The kata whose folder (in katas/ or solutions/) holds ``path``."""
        path = Path(path).resolve()
        for kata in self:
            for folder in (kata.dir, kata.solution_dir):
                if path == folder or folder in path.parents:
                    return kata
        return None

    def expand(self, arg: str, cwd: Path) -> str:
        """A pytest argument with a kata named by number or slug made its folder.

        ``katas/03`` -> ``katas/03_tasks``; ``3`` or ``tasks`` -> ``katas/03_tasks``; also
        under ``solutions/``. Anything that exists, or names no kata, is left alone, except
        a number with no kata, which is an error that lists the katas.
        """
        path_part, sep, rest = arg.partition("::")
        given = Path(path_part)
        if (cwd / given).exists() or given.suffix:
            return arg
        name = given.name
        parent = (cwd / given).parent.resolve()
        if parent in (self.root / "katas", self.root / "solutions"):
            base = parent
        elif parent == self.root.resolve() or parent == cwd.resolve():
            base = self.root / "katas"
        else:
            return arg
        kata = self.get(name)
        if kata is None:
            if name.isdigit():
                raise CatalogError(
                    f"{arg}: there is no kata {int(name)}. The katas are: "
                    + ", ".join(k.name for k in self)
                )
            return arg
        folder = base / kata.name
        try:
            shown = folder.relative_to(cwd.resolve())
        except ValueError:
            shown = folder
        return f"{shown.as_posix()}{sep}{rest}"

    def selected_by(self, args: list[str]) -> list[Kata]:
        """The katas that pytest positional arguments select (no argument: all)."""
        if not args:
            return list(self)
        chosen: list[Kata] = []
        for arg in args:
            path = Path(arg.split("::", 1)[0]).resolve()
            kata = self.containing(path)
            found = [kata] if kata else [k for k in self if path in k.dir.parents]
            chosen.extend(k for k in found if k not in chosen)
        return chosen


class CatalogError(ValueError):
    """katas.toml says something inconsistent."""


def parse(text: str, root: Path) -> Catalog:
    data = tomllib.loads(text)
    katas = []
    for entry in data.get("kata", []):
        try:
            katas.append(
                Kata(
                    number=int(entry["number"]),
                    slug=str(entry["slug"]),
                    title=str(entry["title"]),
                    level=str(entry.get("level", "beginner")),
                    concepts=tuple(entry.get("concepts", ())),
                    hints=tuple(entry.get("hints", ())),
                    ideal=float(entry["ideal"]) if "ideal" in entry else None,
                    root=root,
                    steps=bool(entry.get("steps", False)),
                )
            )
        except KeyError as missing:
            raise CatalogError(f"a [[kata]] entry has no {missing}: {entry}") from None
    return Catalog(katas, root)


@cache
def load(root: Path = ROOT) -> Catalog:
    return parse((root / CATALOG_FILE).read_text(encoding="utf-8"), root)


def problems(catalog: Catalog) -> list[str]:
    """What is wrong with the catalog itself (the author-side check)."""
    found = []
    numbers = [k.number for k in catalog]
    if numbers != sorted(set(numbers)):
        found.append(f"kata numbers must be unique and in order, got {numbers}")
    slugs = [k.slug for k in catalog]
    if len(slugs) != len(set(slugs)):
        found.append(f"kata slugs must be unique, got {slugs}")
    for kata in catalog:
        if len(kata.hints) < 2:
            found.append(f"{kata.name} needs at least two progressive hints")
        if kata.level not in LEVELS:
            found.append(f"{kata.name} has level {kata.level!r}; use one of {LEVELS}")
        if not kata.concepts:
            found.append(f"{kata.name} lists no concepts")
    return found
