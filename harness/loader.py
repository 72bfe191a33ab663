"""Loads the file under test as its own module and reports what is missing plainly.

Each kata's file gets a unique module name (``kata_02_gather``, ``solution_02_gather``,
``impl_02_gather``), so folders never collide in ``sys.modules`` and no ``sys.path``
tricks are needed. The module is registered in ``sys.modules`` because pickling
(process pools) and dataclasses look it up there.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType

import pytest


class KataModule:
    """The learner's module; a missing name fails with a message, not AttributeError."""

    def __init__(self, module: ModuleType, path: Path, shown_as: str):
        self.__dict__.update(_module=module, _path=path, _shown_as=shown_as)

    def __getattr__(self, name: str) -> object:
        __tracebackhide__ = True
        try:
            return getattr(self._module, name)
        except AttributeError:
            public = sorted(n for n in vars(self._module) if not n.startswith("_"))
            pytest.fail(
                f"{self._shown_as} has no function `{name}` — did you rename it? "
                f"The tests call `{name}`; the file defines: {', '.join(public) or 'nothing'}.",
                pytrace=False,
            )

    def __repr__(self) -> str:
        return f"<kata module {self._shown_as}>"


def module_name(prefix: str, kata_name: str) -> str:
    return f"{prefix}_{kata_name}"


def load(path: Path, name: str, shown_as: str) -> KataModule:
    """Import ``path`` as module ``name``; a broken file fails with the learner's line."""
    __tracebackhide__ = True
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        del sys.modules[name]
        caret = " " * max((error.offset or 1) - 1, 0) + "^"
        pytest.fail(
            f"{shown_as} has a syntax error on line {error.lineno}: {error.msg}\n"
            f"    {(error.text or '').rstrip()}\n    {caret}\n"
            "Python cannot load the file until this is fixed.",
            pytrace=False,
        )
    except Exception as error:  # an error while the module's top level runs
        del sys.modules[name]
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == str(path)]
        line = f" on line {frames[-1].lineno}" if frames else ""
        pytest.fail(
            f"{shown_as} failed while loading{line}: {type(error).__name__}: {error}",
            pytrace=False,
        )
    return KataModule(module, path, shown_as)
