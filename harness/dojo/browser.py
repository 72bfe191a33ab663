"""Headless Chromium, driven by Playwright, for the dashboard's own checks.

The browser test and `dojo bench` open the real page in the system's Chromium
(Debian's package: /usr/bin/chromium), never a browser Playwright downloads: nothing
here fetches from the internet. Playwright gives each launch a fresh, empty profile.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM_VARIABLE = "HARNESS_CHROMIUM"  # another Chromium or Chrome to use
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# Without the background-networking flags Chromium reaches for Google's services at
# start-up; on a machine with no network those attempts fail, noisily and slowly.
FLAGS = (
    "--no-sandbox",  # the tests may run as root (CI)
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

NO_PLAYWRIGHT = (
    "the dashboard's browser test needs Playwright: python -m pip install -r requirements.txt"
)
NO_CHROMIUM = (
    "the dashboard's browser test needs Chromium, which is not installed (looked for {where}): "
    "on Debian or Ubuntu `apt-get install chromium` (.ci/run does), or set "
    f"{CHROMIUM_VARIABLE} to a Chromium or Chrome"
)


def find_chromium() -> str | None:
    named = os.environ.get(CHROMIUM_VARIABLE)
    if named:
        return named if os.path.isfile(named) else None
    for path in CHROMIUM_PATHS:
        if os.path.isfile(path):
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing() -> str:
    """Why no browser can be launched here, or "" when one can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return NO_PLAYWRIGHT
    if find_chromium() is None:
        where = os.environ.get(CHROMIUM_VARIABLE) or " or ".join(CHROMIUM_PATHS)
        return NO_CHROMIUM.format(where=where)
    return ""


@contextmanager
def launched() -> Iterator[Any]:
    """A headless Chromium (a Playwright ``Browser``), closed on the way out."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=find_chromium(), headless=True, args=list(FLAGS)
        )
        try:
            yield browser
        finally:
            browser.close()
