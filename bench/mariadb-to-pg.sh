#!/usr/bin/env bash
# Benchmark: MariaDB → PostgreSQL, dbtwin against pgloader (Debian package `pgloader`), measured
# in the same run on sysbench's oltp tables (TABLES × TABLE_SIZE rows; default 4 × 500k).
# Both start from an empty PostgreSQL database and create the tables themselves (dbtwin with
# --create-tables), so both do the same work: schema, data, keys.
#
#   bench/mariadb-to-pg.sh
#   TABLE_SIZE=100000 bench/mariadb-to-pg.sh   # a quicker look
#
# Target (issue #5): dbtwin at least 2× faster than pgloader (ratio ≤ 0.5).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
sysbench_sizes

eval "$(scripts/test-servers.sh start | grep '^DBTWIN_TEST_')"
MY=$DBTWIN_TEST_MY_URL
PG=$DBTWIN_TEST_PG_URL
mysql_client "$MY"

bench_require sysbench pgloader
bench_require_time
cargo build --release --quiet

mariadb "${CLIENT[@]}" -e "DROP DATABASE IF EXISTS bench_src; CREATE DATABASE bench_src;"
sysbench_prepare bench_src

RESULTS=$(mktemp)
reset() {
    psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS bench_dst" -c "CREATE DATABASE bench_dst"
}
check() {
    local sum; sum=$(sbtest_rows_sql)
    # pgloader creates its tables in a schema named after the source database.
    local got; got=$(psql -qAt "$PG/bench_dst" -c "SET search_path = bench_src, public" -c "SELECT $sum" | tail -1)
    [ "$got" = "$ROWS" ] || { echo "$1 copied $got rows, expected $ROWS"; exit 1; }
}
export MY PG
# The Debian build has the default SBCL heap: with its default prefetch (100k rows per table,
# tables in parallel) it runs out of memory on 500k-row tables, so the batches are smaller.
pgloader_run() {
    pgloader --quiet --with "prefetch rows = 10000" --with "batch rows = 10000" "$MY/bench_src" "$PG/bench_dst" >/dev/null
}
export -f pgloader_run
cat > "$RESULTS.yaml" <<YAML
source: $MY/bench_src
target: $PG/bench_dst
YAML

bench_time pgloader reset check bash -c pgloader_run
bench_time dbtwin reset check target/release/dbtwin copy --progress none -q --create-tables --config "$RESULTS.yaml"

bench_report pgloader
rm -f "$RESULTS" "$RESULTS.one" "$RESULTS.yaml"
