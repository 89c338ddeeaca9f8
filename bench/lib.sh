# Shared by the bench scripts: tools, MySQL client flags, sysbench data, timing with medians,
# peak memory, and the report table. The timing functions read RESULTS (a file), REPEAT and ROWS,
# and the sysbench ones TABLES and TABLE_SIZE, when they are called.

# bench_time NAME RESET_FN CHECK_FN COMMAND...
#   Runs RESET_FN, then COMMAND under GNU time, then CHECK_FN (which fails the bench if the copy
#   is wrong), REPEAT times; records the median wall time, the peak RSS and the CPU seconds.
bench_time() {
    local name=$1 reset=$2 check=$3; shift 3
    local runs=() peak=0 cpu=0 secs kb user sys
    for _ in $(seq 1 "$REPEAT"); do
        "$reset"
        /usr/bin/time -f "%e %M %U %S" -o "$RESULTS.one" "$@" >/dev/null
        "$check" "$name"
        read -r secs kb user sys < "$RESULTS.one"
        runs+=("$secs")
        [ "$kb" -gt "$peak" ] && peak=$kb
        cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
    done
    local median
    median=$(printf '%s\n' "${runs[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    echo "$name $median $peak $cpu ${runs[*]}" >> "$RESULTS"
}

# bench_report BASELINE_NAME: the table, ratios against the baseline case.
bench_report() {
    local base; base=$(awk -v b="$1" '$1 == b { print $2 }' "$RESULTS")
    printf '\n%-22s %8s %10s %8s %8s %7s  %s\n' "case ($ROWS rows)" seconds rows/s "peak MB" "CPU s" ratio "all runs (s)"
    while read -r name secs kb cpu all; do
        awk -v n="$name" -v s="$secs" -v kb="$kb" -v cpu="$cpu" -v rows="$ROWS" -v base="$base" -v all="$all" \
            'BEGIN { printf "%-22s %8.2f %10.0f %8.1f %8.2f %7.2f  %s\n", n, s, rows / s, kb / 1024, cpu, s / base, all }'
    done < "$RESULTS"
    echo "(median of $REPEAT runs; peak MB and CPU s are the client side's: for a pipe, its largest process"
    echo " and the whole pipe's CPU; ratio = seconds / $1 seconds)"
}

bench_require_time() {
    [ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
}

# bench_require TOOL...: install the Debian packages of missing tools (as root), or say which.
bench_require() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null && continue
        [ "$(id -u)" = 0 ] || { echo "needs $tool (apt-get install $tool)"; exit 1; }
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$tool" >/dev/null
    done
}

# mysql_client URL: the client flags for mysql://user:password@host:port, in CLIENT (and the
# parts in USER, PASSWORD, HOST, PORT, for sysbench).
mysql_client() {
    local rest=${1#*://} creds hostport
    creds=${rest%@*}; hostport=${rest#*@}
    USER=${creds%%:*}; PASSWORD=${creds#*:}; HOST=${hostport%:*}; PORT=${hostport##*:}
    CLIENT=(--no-defaults -h "$HOST" -P "$PORT" -u "$USER" "-p$PASSWORD" --default-character-set=utf8mb4)
}

# sysbench_sizes: the sysbench data's size from the environment, TABLES × TABLE_SIZE rows
# (default 4 × 500k, ROWS in all), and REPEAT runs per case (default 3).
sysbench_sizes() {
    TABLES=${TABLES:-4}
    TABLE_SIZE=${TABLE_SIZE:-500000}
    REPEAT=${REPEAT:-3}
    ROWS=$((TABLES * TABLE_SIZE))
}

# sysbench_prepare DB: sysbench's oltp tables (TABLES × TABLE_SIZE rows) in the database DB.
sysbench_prepare() {
    echo "building sysbench data: $TABLES tables × $TABLE_SIZE rows…"
    sysbench oltp_read_write --db-driver=mysql --mysql-host="$HOST" --mysql-port="$PORT" --mysql-user="$USER" \
        --mysql-password="$PASSWORD" --mysql-db="$1" --tables="$TABLES" --table-size="$TABLE_SIZE" \
        --threads=2 prepare >/dev/null
}

# sbtest_rows_sql: an SQL expression for the rows of all sysbench tables.
sbtest_rows_sql() {
    local sum="0"
    for t in $(seq 1 "$TABLES"); do sum="$sum + (SELECT count(*) FROM sbtest$t)"; done
    echo "$sum"
}
