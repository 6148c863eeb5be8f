"""What the browser tests share: Debian's Chromium, driven by Playwright, and a stack
(worker, beat, API, simulator) at the module's ``INTERVAL`` with its ``STACK_ENV``
settings, one of each per module.  Other e2e modules define their own ``stack``."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from dispatcher.dev.services import wait_until
from dispatcher.dev.stack import Stack


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail(
            "chromium is missing: apt-get install chromium (.ci/run installs it)", pytrace=False
        )
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest, pg_server_url: str) -> Iterator[Stack]:
    env = getattr(request.module, "STACK_ENV", {})
    s = Stack(pg_server_url, block_interval_s=request.module.INTERVAL, extra_env=env)
    try:
        s.start_worker("w1")
        s.start_beat()
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def api(stack: Stack) -> str:
    url = stack.start_api()
    wait_until(lambda: _up(url + "/readyz"), 60, "the API")
    return url


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
