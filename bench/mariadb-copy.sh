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
TABLES=${TABLES:-4}
TABLE_SIZE=${TABLE_SIZE:-500000}
REPEAT=${REPEAT:-3}
ROWS=$((TABLES * TABLE_SIZE))

if [ -z "${DBTWIN_TEST_MY_URL:-}" ]; then
    DBTWIN_TEST_MY_URL=$(scripts/test-servers.sh start | sed -n 's/^DBTWIN_TEST_MY_URL=//p')
fi
MY=$DBTWIN_TEST_MY_URL
# Client flags from the URL (mysql://user:password@host:port).
rest=${MY#*://}; creds=${rest%@*}; hostport=${rest#*@}
USER=${creds%%:*}; PASSWORD=${creds#*:}; HOST=${hostport%:*}; PORT=${hostport##*:}
CLIENT=(--no-defaults -h "$HOST" -P "$PORT" -u "$USER" "-p$PASSWORD" --default-character-set=utf8mb4)

command -v sysbench >/dev/null || {
    [ "$(id -u)" = 0 ] || { echo "needs sysbench (apt-get install sysbench)"; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q sysbench >/dev/null
}
source bench/lib.sh
bench_require_time
cargo build --release --quiet

mariadb "${CLIENT[@]}" -e "DROP DATABASE IF EXISTS bench_src; DROP DATABASE IF EXISTS bench_dst;
                          CREATE DATABASE bench_src; CREATE DATABASE bench_dst;"
echo "building sysbench data: $TABLES tables × $TABLE_SIZE rows…"
sysbench oltp_read_write --db-driver=mysql --mysql-host="$HOST" --mysql-port="$PORT" --mysql-user="$USER" \
    --mysql-password="$PASSWORD" --mysql-db=bench_src --tables="$TABLES" --table-size="$TABLE_SIZE" \
    --threads=2 prepare >/dev/null
mariadb-dump "${CLIENT[@]}" --no-data bench_src | mariadb "${CLIENT[@]}" bench_dst

RESULTS=$(mktemp)
reset() {
    for t in $(seq 1 "$TABLES"); do
        mariadb "${CLIENT[@]}" bench_dst -e "TRUNCATE sbtest$t"
    done
}
check() {
    local sum="0"
    for t in $(seq 1 "$TABLES"); do sum="$sum + (SELECT count(*) FROM sbtest$t)"; done
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
