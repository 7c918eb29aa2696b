"""The browser the system tests drive: Debian's Chromium, headless, never a downloaded one."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# What this machine's Chromium needs headless as root, and nothing that reaches the network.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
