#!/usr/bin/env bash
# Benchmark: the nightly refresh of a 2M-row table after a day in production (1% of rows
# updated, 0.1% deleted), two ways, measured in the same run on the same changes:
#   full-upsert   every row read and merged by key (`mode: upsert`, today's refresh)
#   incr-mirror   `mode: mirror` with `incremental: updated_at`: only the changed rows read and
#                 merged, deletions found from a key-only read of the source
# on pgbench_accounts (PostgreSQL, pgbench -s SCALE) and a MariaDB table of the same shape.
# Each round changes the source again and refreshes both targets; the median is reported.
# Round R stands for day R: its changes are stamped across that day (in 2027), so each refresh
# reads that day's changes and, with the default 5m overlap, the last 5 minutes of the day
# before, as a nightly run would (rounds seconds apart stamped with now() would all fall
# within the overlap).
#
#   bench/refresh.sh                    # SCALE=20 (2M rows), ROUNDS=3, ENGINES="pg mariadb"
#   SCALE=2 ROUNDS=1 bench/refresh.sh   # a quicker look
#
# Target (issue #14): incr-mirror ≤ 0.25× full-upsert; after every round both targets equal the
# source (rows, balances, and none of the deleted keys), checked.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-20}
ROUNDS=${ROUNDS:-3}
ENGINES=${ENGINES:-pg mariadb}
ROWS=$((SCALE * 100000))
source bench/lib.sh
bench_require_time
cargo build --release --quiet
urls=$(scripts/test-servers.sh start)
PG=${DBTWIN_TEST_PG_URL:-$(sed -n 's/^DBTWIN_TEST_PG_URL=//p' <<<"$urls")}
MY=${DBTWIN_TEST_MY_URL:-$(sed -n 's/^DBTWIN_TEST_MY_URL=//p' <<<"$urls")}
PGBIN=/usr/lib/postgresql/15/bin
mysql_client "$MY"
RESULTS=$(mktemp)

config() { # URL_BASE TARGET_DB MODE [incremental]
    cat <<YAML
source: $1/bench_src
target: $1/$2
secret: bench
$([ "$ENGINE" = pg ] && echo "exclude: [pgbench_branches, pgbench_tellers, pgbench_history]")
tables:
  pgbench_accounts:
    mode: $3
$([ -n "${4:-}" ] && echo "    incremental: updated_at")
YAML
}

# timed NAME COMMAND...: one run, its seconds and peak RSS appended to RESULTS.
timed() {
    local name=$1; shift
    /usr/bin/time -f "%e %M" -o "$RESULTS.one" "$@" >/dev/null
    read -r secs kb < "$RESULTS.one"
    echo "$ENGINE $name $secs $kb" >> "$RESULTS"
}

pg_sql() { psql -qAt "$PG/$1" -c "$2"; }
my_sql() { mariadb "${CLIENT[@]}" -N "$1" -e "$2"; }

for ENGINE in $ENGINES; do
    case $ENGINE in
        pg)
            BASE=$PG
            psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS bench_src" -c "DROP DATABASE IF EXISTS bench_full" \
                -c "DROP DATABASE IF EXISTS bench_incr" -c "CREATE DATABASE bench_src" \
                -c "CREATE DATABASE bench_full" -c "CREATE DATABASE bench_incr"
            echo "building pgbench data, scale $SCALE ($ROWS accounts)…"
            "$PGBIN/pgbench" -q -i -s "$SCALE" "$PG/bench_src" >/dev/null 2>&1
            # Rows last changed over the weeks before, a second apart.
            pg_sql bench_src "ALTER TABLE pgbench_accounts ADD updated_at timestamptz;
                              UPDATE pgbench_accounts SET updated_at = '2026-01-01'::timestamptz + aid * interval '1 s';
                              ALTER TABLE pgbench_accounts ALTER updated_at SET NOT NULL;
                              CREATE INDEX ON pgbench_accounts (updated_at)"
            pg_sql bench_src "VACUUM FULL ANALYZE pgbench_accounts"
            for db in bench_full bench_incr; do
                pg_dump --schema-only -t pgbench_accounts "$PG/bench_src" | psql -q "$PG/$db" >/dev/null
            done
            sql=pg_sql
            change="UPDATE pgbench_accounts SET abalance = abalance + 1,
                        updated_at = '2027-01-01'::timestamptz + \$R * interval '1 day' + aid * interval '1 day' / $ROWS
                    WHERE aid % 100 = \$R; DELETE FROM pgbench_accounts WHERE aid % 1000 = 550 + \$R"
            sum="SELECT count(*) || ' ' || sum(abalance) || ' ' || sum(hashtext(aid || filler)) FROM pgbench_accounts"
            ;;
        mariadb)
            BASE=$MY
            my_sql mysql "DROP DATABASE IF EXISTS bench_src; DROP DATABASE IF EXISTS bench_full;
                          DROP DATABASE IF EXISTS bench_incr; CREATE DATABASE bench_src;
                          CREATE DATABASE bench_full; CREATE DATABASE bench_incr"
            echo "building the MariaDB table ($ROWS accounts)…"
            table="CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84),
                   updated_at datetime(6) NOT NULL, KEY (updated_at))"
            for db in bench_src bench_full bench_incr; do my_sql "$db" "$table"; done
            my_sql bench_src "INSERT INTO pgbench_accounts SELECT seq, (seq - 1) DIV 100000 + 1, 0,
                              RPAD('', 84, ' '), '2026-01-01' + INTERVAL seq SECOND FROM seq_1_to_$ROWS"
            sql=my_sql
            change="UPDATE pgbench_accounts SET abalance = abalance + 1,
                        updated_at = '2027-01-01' + INTERVAL \$R DAY + INTERVAL FLOOR(aid * 86400 / $ROWS) SECOND
                    WHERE aid % 100 = \$R; DELETE FROM pgbench_accounts WHERE aid % 1000 = 550 + \$R"
            sum="SELECT CONCAT(COUNT(*), ' ', SUM(abalance), ' ', SUM(CRC32(CONCAT(aid, filler)))) FROM pgbench_accounts"
            ;;
    esac
    config "$BASE" bench_full upsert > "$RESULTS.full.yaml"
    config "$BASE" bench_incr mirror incremental > "$RESULTS.incr.yaml"
    echo "$ENGINE: first copies…"
    target/release/dbtwin copy --progress none -q --config "$RESULTS.full.yaml" >/dev/null
    target/release/dbtwin copy --progress none -q --config "$RESULTS.incr.yaml" >/dev/null
    for R in $(seq 1 "$ROUNDS"); do
        # 1% of rows updated, 0.1% deleted, other rows each round.
        $sql bench_src "${change//\$R/$R}"
        [ "$ENGINE" = pg ] && pg_sql bench_src "VACUUM ANALYZE pgbench_accounts"
        changed=$($sql bench_src "SELECT count(*) FROM pgbench_accounts WHERE aid % 100 = $R")
        echo "$ENGINE round $R: $changed rows updated, $((ROWS / 1000)) deleted"
        timed full-upsert target/release/dbtwin copy --progress none -q --config "$RESULTS.full.yaml"
        timed incr-mirror target/release/dbtwin copy --progress none -q --config "$RESULTS.incr.yaml" \
            --report "$RESULTS.report.json"
        # The mirror equals the source; the upsert too, but for the deleted rows it keeps.
        kept=" WHERE aid % 1000 NOT BETWEEN 551 AND $((550 + R))"
        want=$($sql bench_src "$sum")
        got=$($sql bench_incr "$sum")
        [ "$got" = "$want" ] || { echo "$ENGINE round $R: bench_incr holds $got, the source $want"; exit 1; }
        want=$($sql bench_src "$sum$kept")
        got=$($sql bench_full "$sum$kept")
        [ "$got" = "$want" ] || { echo "$ENGINE round $R: bench_full holds $got, the source $want"; exit 1; }
        read_rows=$(python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['tables'][0]; print(t['rows_read'], t['rows_deleted'])" "$RESULTS.report.json")
        echo "$ENGINE round $R: the incremental mirror read and deleted: $read_rows; both targets equal the source"
    done
done

echo
printf '%-8s %-12s %9s %9s %8s  %s\n' engine case seconds "peak MB" ratio "all rounds (s)"
for ENGINE in $ENGINES; do
    for name in full-upsert incr-mirror; do
        all=$(awk -v e="$ENGINE" -v n="$name" '$1 == e && $2 == n { printf "%s ", $3 }' "$RESULTS")
        med=$(tr ' ' '\n' <<<"$all" | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
        base=$(awk -v e="$ENGINE" '$1 == e && $2 == "full-upsert" { print $3 }' "$RESULTS" | sort -n |
            awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
        peak=$(awk -v e="$ENGINE" -v n="$name" '$1 == e && $2 == n && $4 > p { p = $4 } END { print p }' "$RESULTS")
        awk -v e="$ENGINE" -v n="$name" -v s="$med" -v b="$base" -v kb="$peak" -v all="$all" \
            'BEGIN { printf "%-8s %-12s %9.2f %9.1f %8.2f  %s\n", e, n, s, kb / 1024, s / b, all }'
    done
done
echo "($ROWS rows; median of $ROUNDS rounds; ratio = seconds / full-upsert seconds of the same engine)"
rm -f "$RESULTS" "$RESULTS".*
