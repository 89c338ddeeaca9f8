#!/usr/bin/env bash
# Benchmark: dbtwin against the native `psql COPY … TO STDOUT | psql COPY … FROM STDIN` pipe,
# on pgbench_accounts (SCALE × 100k rows; default 20 → 2 million), measured in the same run.
#
#   bench/pg-copy.sh            # SCALE=20
#   SCALE=5 bench/pg-copy.sh    # a quicker look
#
# Prints wall seconds, rows/s and peak memory of each, and dbtwin's ratio to the pipe.
# Targets (issue #2): unmasked ≤ 1.5×, one text column masked ≤ 2×, peak memory < 200 MB.
# Cases: replace mode unmasked and with `filler` masked; upsert into an empty table (plain
# COPY) and into a full one (staging table + INSERT … ON CONFLICT, the nightly refresh).
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-20}
REPEAT=${REPEAT:-3}   # runs per case; the median is reported (2 shared cores are noisy)
ROWS=$((SCALE * 100000))

if [ -z "${DBTWIN_TEST_PG_URL:-}" ]; then
    DBTWIN_TEST_PG_URL=$(scripts/test-servers.sh start | sed -n 's/^DBTWIN_TEST_PG_URL=//p')
fi
PG=$DBTWIN_TEST_PG_URL
PGBIN=/usr/lib/postgresql/15/bin
source bench/lib.sh
bench_require_time
cargo build --release --quiet

psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS bench_src" -c "DROP DATABASE IF EXISTS bench_dst" \
    -c "CREATE DATABASE bench_src" -c "CREATE DATABASE bench_dst"
echo "building pgbench data, scale $SCALE ($ROWS accounts)…"
"$PGBIN/pgbench" -q -i -s "$SCALE" "$PG/bench_src" >/dev/null 2>&1
"$PGBIN/pgbench" -q -i -I dtp "$PG/bench_dst" >/dev/null 2>&1   # same tables, empty, with keys

RESULTS=$(mktemp)
KEEP=0
reset() { # empties the target, except for the refresh case
    [ "$KEEP" = 1 ] || psql -q "$PG/bench_dst" -c "TRUNCATE pgbench_accounts"
    psql -q "$PG/bench_dst" -c "CHECKPOINT"
}
check() {
    local got; got=$(psql -At "$PG/bench_dst" -c "SELECT count(*) FROM pgbench_accounts")
    [ "$got" = "$ROWS" ] || { echo "$1 copied $got rows, expected $ROWS"; exit 1; }
}

native() {
    psql -q "$PG/bench_src" -c "COPY pgbench_accounts TO STDOUT" | psql -q "$PG/bench_dst" -c "COPY pgbench_accounts FROM STDIN"
}
export -f native
export PG

config() { # extra column rules
    cat > "$RESULTS.yaml" <<YAML
source: $PG/bench_src
target: $PG/bench_dst
secret: bench
exclude: [pgbench_branches, pgbench_tellers, pgbench_history]
tables:
  pgbench_accounts:
    mode: ${MODE:-replace}
    columns: {$1}
YAML
    echo "$RESULTS.yaml"
}

bench_time psql-copy-pipe reset check bash -c native
bench_time dbtwin-unmasked reset check target/release/dbtwin copy --progress none -q --config "$(config '')"
bench_time dbtwin-masked reset check target/release/dbtwin copy --progress none -q --config "$(config 'filler: name')"
upsert_config=$(MODE=upsert config '')
bench_time dbtwin-upsert-new reset check target/release/dbtwin copy --progress none -q --config "$upsert_config"
# The nightly refresh: every row already there, merged by primary key.
KEEP=1
bench_time dbtwin-upsert-full reset check target/release/dbtwin copy --progress none -q --config "$upsert_config"

bench_report psql-copy-pipe
rm -f "$RESULTS" "$RESULTS.one" "$RESULTS.yaml"
