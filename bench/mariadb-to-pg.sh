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
TABLES=${TABLES:-4}
TABLE_SIZE=${TABLE_SIZE:-500000}
REPEAT=${REPEAT:-3}
ROWS=$((TABLES * TABLE_SIZE))

eval "$(scripts/test-servers.sh start | grep '^DBTWIN_TEST_')"
MY=$DBTWIN_TEST_MY_URL
PG=$DBTWIN_TEST_PG_URL
rest=${MY#*://}; creds=${rest%@*}; hostport=${rest#*@}
USER=${creds%%:*}; PASSWORD=${creds#*:}; HOST=${hostport%:*}; PORT=${hostport##*:}
CLIENT=(--no-defaults -h "$HOST" -P "$PORT" -u "$USER" "-p$PASSWORD" --default-character-set=utf8mb4)

for tool in sysbench pgloader; do
    command -v "$tool" >/dev/null || {
        [ "$(id -u)" = 0 ] || { echo "needs $tool (apt-get install $tool)"; exit 1; }
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$tool" >/dev/null
    }
done
source bench/lib.sh
bench_require_time
cargo build --release --quiet

mariadb "${CLIENT[@]}" -e "DROP DATABASE IF EXISTS bench_src; CREATE DATABASE bench_src;"
echo "building sysbench data: $TABLES tables × $TABLE_SIZE rows…"
sysbench oltp_read_write --db-driver=mysql --mysql-host="$HOST" --mysql-port="$PORT" --mysql-user="$USER" \
    --mysql-password="$PASSWORD" --mysql-db=bench_src --tables="$TABLES" --table-size="$TABLE_SIZE" \
    --threads=2 prepare >/dev/null

RESULTS=$(mktemp)
reset() {
    psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS bench_dst" -c "CREATE DATABASE bench_dst"
}
check() {
    local sum="0"
    for t in $(seq 1 "$TABLES"); do sum="$sum + (SELECT count(*) FROM sbtest$t)"; done
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
