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
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
cargo build --release --quiet

psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS bench_src" -c "DROP DATABASE IF EXISTS bench_dst" \
    -c "CREATE DATABASE bench_src" -c "CREATE DATABASE bench_dst"
echo "building pgbench data, scale $SCALE ($ROWS accounts)…"
"$PGBIN/pgbench" -q -i -s "$SCALE" "$PG/bench_src" >/dev/null 2>&1
"$PGBIN/pgbench" -q -i -I dtp "$PG/bench_dst" >/dev/null 2>&1   # same tables, empty, with keys

results=$(mktemp)
measure() { # name, command... (KEEP=1: keep the target's rows, for the refresh case)
    local name=$1; shift
    local runs=()
    local peak=0
    for _ in $(seq 1 "$REPEAT"); do
        [ "${KEEP:-}" = 1 ] || psql -q "$PG/bench_dst" -c "TRUNCATE pgbench_accounts"
        psql -q "$PG/bench_dst" -c "CHECKPOINT"
        /usr/bin/time -f "%e %M %U %S" -o "$results.one" "$@" >/dev/null
        local got; got=$(psql -At "$PG/bench_dst" -c "SELECT count(*) FROM pgbench_accounts")
        [ "$got" = "$ROWS" ] || { echo "$name copied $got rows, expected $ROWS"; exit 1; }
        read -r secs kb user sys < "$results.one"
        runs+=("$secs")
        [ "$kb" -gt "$peak" ] && peak=$kb
        cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
    done
    local median; median=$(printf '%s\n' "${runs[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    echo "$name $median $peak $cpu ${runs[*]}" >> "$results"
}

native() {
    psql -q "$PG/bench_src" -c "COPY pgbench_accounts TO STDOUT" | psql -q "$PG/bench_dst" -c "COPY pgbench_accounts FROM STDIN"
}
export -f native
export PG

config() { # extra column rules
    cat > "$results.yaml" <<YAML
source: $PG/bench_src
target: $PG/bench_dst
secret: bench
exclude: [pgbench_branches, pgbench_tellers, pgbench_history]
tables:
  pgbench_accounts:
    mode: ${MODE:-replace}
    columns: {$1}
YAML
    echo "$results.yaml"
}

measure "psql-copy-pipe" bash -c native
measure "dbtwin-unmasked" target/release/dbtwin copy --progress none -q --config "$(config '')"
measure "dbtwin-masked" target/release/dbtwin copy --progress none -q --config "$(config 'filler: name')"
upsert_config=$(MODE=upsert config '')
measure "dbtwin-upsert-new" target/release/dbtwin copy --progress none -q --config "$upsert_config"
# The nightly refresh: every row already there, merged by primary key.
KEEP=1 measure "dbtwin-upsert-full" target/release/dbtwin copy --progress none -q --config "$upsert_config"

native_secs=$(awk '$1 == "psql-copy-pipe" { print $2 }' "$results")
printf '\n%-19s %8s %10s %8s %8s %7s  %s\n' "case ($ROWS rows)" seconds rows/s "peak MB" "CPU s" ratio "all runs (s)"
while read -r name secs kb cpu all; do
    awk -v n="$name" -v s="$secs" -v kb="$kb" -v cpu="$cpu" -v rows="$ROWS" -v base="$native_secs" -v all="$all" \
        'BEGIN { printf "%-19s %8.2f %10.0f %8.1f %8.2f %7.2f  %s\n", n, s, rows / s, kb / 1024, cpu, s / base, all }'
done < "$results"
echo "(median of $REPEAT runs; peak MB and CPU s are the client's, for the pipe the larger psql and the bash"
echo " wrapper; ratio = dbtwin seconds / psql-copy-pipe seconds)"
rm -f "$results" "$results.one" "$results.yaml"
