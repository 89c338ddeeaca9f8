#!/usr/bin/env bash
# Benchmark: dbtwin SQLite → SQLite against the sqlite3 shell, measured in the same run, on a
# pgbench-like `accounts` table (ROWS rows; default 1 million).
#
#   bench/sqlite-copy.sh              # ROWS=1000000
#   ROWS=200000 bench/sqlite-copy.sh  # a quicker look
#
# Native cases: `sqlite3 src.db .dump | sqlite3 dst.db` (dump and restore, the usual way to
# copy a file's tables elsewhere) and one `INSERT … SELECT` from an attached file inside
# sqlite3 (no text round trip: the floor). dbtwin cases: unmasked, and `filler` masked with
# `name`, into a target file that has the table. Needs the sqlite3 shell (apt-get install sqlite3).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
REPEAT=${REPEAT:-3}
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)"; exit 1; }
source bench/lib.sh
bench_require_time
cargo build --release --quiet

DIR=$(mktemp -d)
SRC=$DIR/src.db
DST=$DIR/dst.db
SCHEMA="CREATE TABLE accounts (aid INTEGER PRIMARY KEY, bid INTEGER NOT NULL, abalance INTEGER NOT NULL, filler CHAR(84));"
echo "building $ROWS accounts…"
sqlite3 "$SRC" "$SCHEMA" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS)
    INSERT INTO accounts SELECT i, i / 100000 + 1, (i * 7919) % 100000 - 50000, printf('%-84s', 'account ' || i) FROM n;"

RESULTS=$(mktemp)
empty_target() { rm -f "$DST" "$DST-journal"; }
schema_target() { empty_target; sqlite3 "$DST" "$SCHEMA"; }
check() {
    local got; got=$(sqlite3 "$DST" "SELECT count(*) FROM accounts")
    [ "$got" = "$ROWS" ] || { echo "$1 copied $got rows, expected $ROWS"; exit 1; }
}
dump_pipe() { sqlite3 "$SRC" ".dump accounts" | sqlite3 "$DST"; }
attach_copy() { sqlite3 "$DST" "ATTACH '$SRC' AS s" "INSERT INTO accounts SELECT * FROM s.accounts"; }
export -f dump_pipe attach_copy
export SRC DST

config() {
    cat > "$RESULTS.yaml" <<YAML
source: sqlite://$SRC
target: sqlite://$DST
secret: bench
tables:
  accounts:
    columns: {$1}
YAML
    echo "$RESULTS.yaml"
}

bench_time sqlite3-dump-pipe empty_target check bash -c dump_pipe
bench_time sqlite3-attach-copy schema_target check bash -c attach_copy
bench_time dbtwin-unmasked schema_target check target/release/dbtwin copy --progress none -q --config "$(config '')"
bench_time dbtwin-masked schema_target check target/release/dbtwin copy --progress none -q --config "$(config 'filler: name')"

bench_report sqlite3-dump-pipe
rm -rf "$DIR" "$RESULTS" "$RESULTS.one" "$RESULTS.yaml"
