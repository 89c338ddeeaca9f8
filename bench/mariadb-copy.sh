#!/usr/bin/env bash
# Benchmark: dbtwin against `mysqldump --single-transaction --quick | mysql` (MariaDB's
# mariadb-dump and mariadb), on sysbench's oltp tables (TABLES × TABLE_SIZE rows; default
# 4 × 500k), measured in the same run.
#
#   bench/mariadb-copy.sh
#   TABLE_SIZE=100000 bench/mariadb-copy.sh    # a quicker look
#
# Target (issue #3): dbtwin at least as fast as the dump pipe (ratio ≤ 1.0), peak memory < 200 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
sysbench_sizes

if [ -z "${DBTWIN_TEST_MY_URL:-}" ]; then
    DBTWIN_TEST_MY_URL=$(scripts/test-servers.sh start | sed -n 's/^DBTWIN_TEST_MY_URL=//p')
fi
MY=$DBTWIN_TEST_MY_URL
mysql_client "$MY"

bench_require sysbench
bench_require_time
cargo build --release --quiet

mariadb "${CLIENT[@]}" -e "DROP DATABASE IF EXISTS bench_src; DROP DATABASE IF EXISTS bench_dst;
                          CREATE DATABASE bench_src; CREATE DATABASE bench_dst;"
sysbench_prepare bench_src
mariadb-dump "${CLIENT[@]}" --no-data bench_src | mariadb "${CLIENT[@]}" bench_dst

RESULTS=$(mktemp)
reset() {
    for t in $(seq 1 "$TABLES"); do
        mariadb "${CLIENT[@]}" bench_dst -e "TRUNCATE sbtest$t"
    done
}
check() {
    local sum; sum=$(sbtest_rows_sql)
    local got; got=$(mariadb "${CLIENT[@]}" -N bench_dst -e "SELECT $sum")
    [ "$got" = "$ROWS" ] || { echo "$1 copied $got rows, expected $ROWS"; exit 1; }
}
# The pipe runs under `bash -c`, so its client flags travel as one string (no spaces inside).
export CLIENT_FLAGS="${CLIENT[*]}"
native() {
    # shellcheck disable=SC2086 # the flags are meant to split
    mariadb-dump $CLIENT_FLAGS --single-transaction --quick bench_src | mariadb $CLIENT_FLAGS bench_dst
}
export -f native

cat > "$RESULTS.yaml" <<YAML
source: $MY/bench_src
target: $MY/bench_dst
secret: bench
YAML
cat > "$RESULTS.masked.yaml" <<YAML
source: $MY/bench_src
target: $MY/bench_dst
secret: bench
tables:
$(for t in $(seq 1 "$TABLES"); do echo "  sbtest$t: { columns: { c: lorem_sentence } }"; done)
YAML

bench_time "mysqldump-pipe" reset check bash -c native
bench_time "dbtwin-unmasked" reset check target/release/dbtwin copy --progress none -q --config "$RESULTS.yaml"
bench_time "dbtwin-masked" reset check target/release/dbtwin copy --progress none -q --config "$RESULTS.masked.yaml"
bench_report mysqldump-pipe
rm -f "$RESULTS" "$RESULTS.one" "$RESULTS.yaml" "$RESULTS.masked.yaml"
