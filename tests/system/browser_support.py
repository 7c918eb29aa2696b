"""The browser the system tests drive: Debian's Chromium, headless, never a downloaded one."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# What this machine's Chromium needs headless as root, and nothing that reaches the network.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@contextmanager
def chromium_page(width: int, height: int, wait_ms: int) -> Iterator[Page]:
    """A page of that size in Debian's Chromium, Playwright's actions and ``expect`` waiting
    up to ``wait_ms`` by default; the browser closes on leaving."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(wait_ms)
            expect.set_options(timeout=wait_ms)
            yield page
        finally:
            browser.close()
