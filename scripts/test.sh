#!/usr/bin/env bash
# The project's test command (README "Run the tests", .ci/run): layering, format and lint checks, then
# every unit and integration test in one release build. The integration tests start throwaway
# PostgreSQL and MariaDB servers through scripts/test-servers.sh (installing the Debian packages
# when missing), which this script stops again at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

# Modules import only downward (scripts/layers.txt), sqlx/fake/indicatif stay in their module.
python3 scripts/check-layers.py
cargo fmt --all -- --check
cargo clippy --release --all-targets -- -D warnings

stop_servers() { scripts/test-servers.sh stop >/dev/null 2>&1 || true; }
# Servers someone else started (named in the environment) are theirs to stop.
if [ -z "${DBTWIN_TEST_PG_URL:-}" ]; then
    trap stop_servers EXIT
fi
if ! cargo test --release --all-targets; then
    # Before the servers and their logs are gone: a test that lost its session needs to know why.
    scripts/test-servers.sh logs || true
    exit 1
fi
# The examples run as written.
bash examples/run-examples.sh
