#!/usr/bin/env bash
# The Debian packages the test suite needs beyond Python, installed only when missing
# (`make test` runs this first, so a fresh machine needs nothing installed by hand):
# - postgresql: the gradebook on the database nbgrader recommends for several graders
#   (the PostgreSQL test starts its own throwaway server on 127.0.0.1);
# - bubblewrap, and util-linux's prlimit and setpriv: each grading kernel's file system,
#   limits and user;
# - chromium: the browser and book tests drive it with Playwright (no
#   browser is ever downloaded); fonts-wqy-microhei renders Chinese in its screenshots;
# - nodejs and npm: JupyterHub's proxy (make hub-proxy) and the book's MathJax.
# `ci-setup.sh grading` checks only what grading needs (`make demo`: bubblewrap and
# util-linux). As root it runs apt-get; otherwise it uses sudo when sudo needs no password,
# and else says what to install.
set -euo pipefail
missing=()
command -v bwrap >/dev/null || missing+=(bubblewrap)
{ command -v setpriv >/dev/null && command -v prlimit >/dev/null; } || missing+=(util-linux)
if [ "${1:-all}" != grading ]; then
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
    command -v npm >/dev/null || missing+=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo)
else
    echo "These Debian packages are needed and missing: ${missing[*]}." >&2
    echo "Install them as root (apt-get install ${missing[*]}), or run make as root or" \
         "with passwordless sudo, then run it again." >&2
    exit 1
fi
if ! command -v apt-get >/dev/null; then
    echo "These packages are needed and missing: ${missing[*]}; this script" \
         "installs them with Debian's apt-get, which this machine does not have." >&2
    exit 1
fi
echo "Installing the Debian packages that are needed: ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
