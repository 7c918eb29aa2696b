#!/usr/bin/env bash
# System packages the test suite needs beyond Python: a PostgreSQL server, so the autograder's
# gradebook is tested on the database nbgrader recommends for several graders
# (tests/test_autograder_postgres.py starts its own throwaway server on 127.0.0.1),
# bubblewrap, which builds each grading kernel's file system, and util-linux's prlimit and
# setpriv, which set its limits and drop its privileges. Debian or Ubuntu, as root.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v bwrap >/dev/null \
        || ! command -v setpriv >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql bubblewrap util-linux >/dev/null
fi
# Debian's Chromium for tests/test_browser.py (Playwright drives it; no browser is ever
# downloaded), a font for the notebooks' Chinese quotations in its screenshots, and npm for
# JupyterHub's proxy (make hub-proxy) where Node.js is missing.
if [ ! -x /usr/bin/chromium ] || [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] \
        || ! command -v npm >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    node=$(command -v npm >/dev/null || echo "nodejs npm")
    # shellcheck disable=SC2086 # $node is zero or two package names
    apt-get install -y -qq chromium fonts-wqy-microhei $node >/dev/null
fi
