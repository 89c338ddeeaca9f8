#!/usr/bin/env bash
# Benchmark: `dbtwin verify` of pgbench_accounts (SCALE × 100k rows; default 20 → 2 million,
# `filler` masked) copied PostgreSQL → PostgreSQL and PostgreSQL → MariaDB, against reading
# both tables once with the native clients to /dev/null (`psql COPY … TO STDOUT`, `mariadb
# --quick`), measured in the same run.
#
#   bench/verify.sh             # SCALE=20
#   SCALE=5 bench/verify.sh     # a quicker look
#
# Targets (issue #15): verify ≤ 1.5× the native reads of both sides, peak memory < 100 MB.
# `verify --sample 1000` is timed too, as a fraction of the whole verify.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-20}
REPEAT=${REPEAT:-3}
ROWS=$((SCALE * 100000))

if [ -z "${DBTWIN_TEST_PG_URL:-}" ] || [ -z "${DBTWIN_TEST_MY_URL:-}" ]; then
    urls=$(scripts/test-servers.sh start)
    DBTWIN_TEST_PG_URL=$(sed -n 's/^DBTWIN_TEST_PG_URL=//p' <<<"$urls")
    DBTWIN_TEST_MY_URL=$(sed -n 's/^DBTWIN_TEST_MY_URL=//p' <<<"$urls")
fi
PG=$DBTWIN_TEST_PG_URL
MY=$DBTWIN_TEST_MY_URL
PGBIN=/usr/lib/postgresql/15/bin
source bench/lib.sh
bench_require_time
mysql_client "$MY"
cargo build --release --quiet

psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS bench_vsrc" -c "DROP DATABASE IF EXISTS bench_vdst" \
    -c "CREATE DATABASE bench_vsrc" -c "CREATE DATABASE bench_vdst"
mariadb "${CLIENT[@]}" -e "DROP DATABASE IF EXISTS bench_vdst; CREATE DATABASE bench_vdst;"
echo "building pgbench data, scale $SCALE ($ROWS accounts)…"
"$PGBIN/pgbench" -q -i -s "$SCALE" "$PG/bench_vsrc" >/dev/null 2>&1

RESULTS=$(mktemp)
config() { # TARGET_URL
    cat > "$RESULTS.$2.yaml" <<YAML
source: $PG/bench_vsrc
target: $1
secret: bench
exclude: [pgbench_branches, pgbench_tellers, pgbench_history]
tables:
  pgbench_accounts:
    mode: replace
    columns: { filler: name }
YAML
    echo "$RESULTS.$2.yaml"
}
pg_config=$(config "$PG/bench_vdst" pg)
my_config=$(config "$MY/bench_vdst" my)
echo "copying the twins…"
target/release/dbtwin copy --progress none -q --create-tables --config "$pg_config"
target/release/dbtwin copy --progress none -q --create-tables --config "$my_config"

nothing() { :; }
native_pg_pg() {
    psql -q "$PG/bench_vsrc" -c "COPY pgbench_accounts TO STDOUT" >/dev/null
    psql -q "$PG/bench_vdst" -c "COPY pgbench_accounts TO STDOUT" >/dev/null
}
# `export -f` cannot carry an array: the flags go as one string.
export PG CLIENT_FLAGS="${CLIENT[*]}"
native_pg_my() {
    psql -q "$PG/bench_vsrc" -c "COPY pgbench_accounts TO STDOUT" >/dev/null
    # shellcheck disable=SC2086
    mariadb $CLIENT_FLAGS --quick -N bench_vdst -e "SELECT * FROM pgbench_accounts" >/dev/null
}
export -f native_pg_pg native_pg_my

bench_time native-read-pg-pg nothing nothing bash -c native_pg_pg
bench_time verify-pg-pg nothing nothing target/release/dbtwin verify --progress none -q --config "$pg_config"
bench_time native-read-pg-mariadb nothing nothing bash -c native_pg_my
bench_time verify-pg-mariadb nothing nothing target/release/dbtwin verify --progress none -q --config "$my_config"
# A quick look: 1000 keys drawn from both sides' key-only reads, then read by key lists.
bench_time sample-pg-pg nothing nothing target/release/dbtwin verify --progress none -q --sample 1000 --config "$pg_config"
bench_time sample-pg-mariadb nothing nothing target/release/dbtwin verify --progress none -q --sample 1000 --config "$my_config"

bench_report native-read-pg-pg
pg_native=$(awk '$1 == "native-read-pg-pg" { print $2 }' "$RESULTS")
my_native=$(awk '$1 == "native-read-pg-mariadb" { print $2 }' "$RESULTS")
pg_verify=$(awk '$1 == "verify-pg-pg" { print $2 }' "$RESULTS")
my_verify=$(awk '$1 == "verify-pg-mariadb" { print $2 }' "$RESULTS")
awk -v a="$pg_verify" -v b="$pg_native" -v c="$my_verify" -v d="$my_native" 'BEGIN {
    printf "verify / native reads: PostgreSQL → PostgreSQL %.2f×, PostgreSQL → MariaDB %.2f×\n", a / b, c / d }'
pg_sample=$(awk '$1 == "sample-pg-pg" { print $2 }' "$RESULTS")
my_sample=$(awk '$1 == "sample-pg-mariadb" { print $2 }' "$RESULTS")
awk -v a="$pg_sample" -v b="$pg_verify" -v c="$my_sample" -v d="$my_verify" 'BEGIN {
    printf "verify --sample 1000 / verify: PostgreSQL → PostgreSQL %.2f×, PostgreSQL → MariaDB %.2f×\n", a / b, c / d }'
rm -f "$RESULTS" "$RESULTS".*
