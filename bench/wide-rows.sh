#!/usr/bin/env bash
# Benchmark: dbtwin's peak memory for wide rows, from PostgreSQL into each target engine
# (PostgreSQL, MariaDB, SQLite), measured in the same run: ROWS rows of WIDTH bytes (default
# 2,000 × 1 MiB). Memory must follow the batch and statement bounds, not the row count.
#
#   bench/wide-rows.sh
#   ROWS=300 bench/wide-rows.sh                   # a quicker look
#   ROWS=1 WIDTH=104857600 bench/wide-rows.sh     # one 100 MiB value
#
# Targets (issue #12): peak RSS under 300 MB into every engine for 2,000 rows of 1 MiB; for a
# single value, at most 3× its size (one copy in the batch, one in the statement or COPY buffer).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-2000}
WIDTH=${WIDTH:-1048576}
REPEAT=${REPEAT:-1}
source bench/lib.sh
bench_require_time
eval "$(scripts/test-servers.sh start | grep '^DBTWIN_TEST_')"
PG=$DBTWIN_TEST_PG_URL
MY=$DBTWIN_TEST_MY_URL
mysql_client "$MY"
cargo build --release --quiet
# A value must fit the target's packet; the test server's 64 MiB is raised for the run.
PACKET=$(mariadb "${CLIENT[@]}" -N -e 'SELECT @@global.max_allowed_packet')
if [ "$WIDTH" -gt $((PACKET / 2)) ]; then
    mariadb "${CLIENT[@]}" -e "SET GLOBAL max_allowed_packet = 1073741824"
    trap 'mariadb "${CLIENT[@]}" -e "SET GLOBAL max_allowed_packet = $PACKET"' EXIT
fi

TABLE="CREATE TABLE wide (id int PRIMARY KEY, payload text)"
echo "building $ROWS rows of $WIDTH bytes…"
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS bench_wide_src" -c "CREATE DATABASE bench_wide_src"
# md5 chains, not repeat(): values that do not compress to nothing on the way.
psql -q "$PG/bench_wide_src" -c "$TABLE" -c "INSERT INTO wide SELECT g,
    substr(repeat(md5(g::text) || md5((g + 1)::text), $WIDTH / 64 + 1), 1, $WIDTH) FROM generate_series(1, $ROWS) g"
DIR=$(mktemp -d)
LIMIT_MB=300
if [ "$ROWS" = 1 ]; then
    # A value's cost is what the run takes above dbtwin's own footprint, measured here on the
    # same table empty: at most 3x the value.
    psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS bench_wide_empty" -c "CREATE DATABASE bench_wide_empty"
    psql -q "$PG/bench_wide_empty" -c "$TABLE"
    echo "tables: {}" > "$DIR/base.yaml"
    BASE_KB=$( { /usr/bin/time -f '%M' target/release/dbtwin copy --progress=none -q --create-tables \
        --config "$DIR/base.yaml" --source "$PG/bench_wide_empty" --target "sqlite://$DIR/base.db" >/dev/null; } 2>&1 | tail -1)
    LIMIT_MB=$(( (3 * WIDTH + BASE_KB * 1024) / 1048576 ))
    echo "dbtwin's own footprint: $((BASE_KB / 1024)) MB; limit for one value: $LIMIT_MB MB (3x the value above it)"
fi

RESULTS=$(mktemp)
reset_pg() { psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS bench_wide_dst" -c "CREATE DATABASE bench_wide_dst" \
    && psql -q "$PG/bench_wide_dst" -c "$TABLE"; }
reset_my() { mariadb "${CLIENT[@]}" -e "DROP DATABASE IF EXISTS bench_wide_dst; CREATE DATABASE bench_wide_dst;
    USE bench_wide_dst; CREATE TABLE wide (id int PRIMARY KEY, payload longtext);"; }
reset_lite() { rm -f "$DIR/wide.db" "$DIR/wide.db-journal"; }
check_pg() { [ "$(psql -qAt "$PG/bench_wide_dst" -c 'SELECT count(*) FROM wide')" = "$ROWS" ] || { echo "$1: rows missing"; exit 1; }; }
check_my() { [ "$(mariadb "${CLIENT[@]}" -N bench_wide_dst -e 'SELECT count(*) FROM wide')" = "$ROWS" ] || { echo "$1: rows missing"; exit 1; }; }
check_lite() { [ "$(sqlite3 "$DIR/wide.db" 'SELECT count(*) FROM wide')" = "$ROWS" ] || { echo "$1: rows missing"; exit 1; }; }
echo "tables: {}" > "$DIR/empty.yaml"
COPY=(target/release/dbtwin copy --progress=none -q --create-tables --config "$DIR/empty.yaml" --source "$PG/bench_wide_src")

bench_time into-postgres reset_pg check_pg "${COPY[@]}" --target "$PG/bench_wide_dst"
bench_time into-mariadb reset_my check_my "${COPY[@]}" --target "$MY/bench_wide_dst"
bench_time into-sqlite reset_lite check_lite "${COPY[@]}" --target "sqlite://$DIR/wide.db"
bench_report into-postgres
awk -v limit="$LIMIT_MB" '{ if ($3 / 1024 > limit) { printf "%s: peak %.0f MB, over the %d MB target\n", $1, $3 / 1024, limit; bad = 1 } }
    END { exit bad }' "$RESULTS"
echo "every case within the $LIMIT_MB MB target"
rm -rf "$DIR" "$RESULTS" "$RESULTS.one"
