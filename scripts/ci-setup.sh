#!/usr/bin/env bash
# System packages the test suite needs beyond Python: a PostgreSQL server, so the autograder's
# gradebook is tested on the database nbgrader recommends for several graders
# (tests/test_autograder_postgres.py starts its own throwaway server on 127.0.0.1), and
# util-linux's unshare and setpriv, which confine grading kernels. Debian or Ubuntu, as root.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v unshare >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql util-linux >/dev/null
fi
