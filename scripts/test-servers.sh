#!/usr/bin/env bash
# Throwaway PostgreSQL 15 and MariaDB servers for dbtwin's tests and benchmarks, on loopback
# ports, with their data in a temp dir. Installs the Debian packages when missing (needs root).
#
#   scripts/test-servers.sh start   # start (or reuse) both; prints KEY=VALUE lines with URLs
#   scripts/test-servers.sh stop    # stop both and delete their data
#   scripts/test-servers.sh env     # print the URLs of running servers
#   scripts/test-servers.sh logs    # the servers' notable log lines (crashes, kills, OOM)
#
# Settings: DBTWIN_TEST_DIR (default: $TMPDIR/dbtwin-test-servers), DBTWIN_TEST_PG_PORT
# (default 55432), DBTWIN_TEST_MY_PORT (default 53306).
set -euo pipefail

DIR=${DBTWIN_TEST_DIR:-${TMPDIR:-/tmp}/dbtwin-test-servers}
PG_PORT=${DBTWIN_TEST_PG_PORT:-55432}
MY_PORT=${DBTWIN_TEST_MY_PORT:-53306}
PASSWORD=dbtwin-test-pw
PGBIN=/usr/lib/postgresql/15/bin
PG_DIR=$DIR/pg
MY_DIR=$DIR/mariadb

log() { echo "test-servers: $*" >&2; }

as_root() { [ "$(id -u)" = 0 ]; }

install_packages() {
    as_root || { log "missing packages $* and not root: install them (apt-get install $*)"; exit 1; }
    log "installing $* from Debian packages"
    # Debian's maintainer scripts start a system service; this project runs its own instead.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    if [ ! -f "$DIR/.apt-updated" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        mkdir -p "$DIR" && touch "$DIR/.apt-updated"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2
    rm -f /usr/sbin/policy-rc.d
    trap - EXIT
}

# Run a command as the owner of the server's files: initdb and mariadbd refuse root.
as_owner() {
    local user=$1; shift
    if as_root; then runuser -u "$user" -- "$@"; else "$@"; fi
}

pg_user() { if as_root; then echo postgres; else id -un; fi; }

start_pg() {
    [ -x "$PGBIN/initdb" ] || install_packages postgresql-15 postgresql-client-15
    local user; user=$(pg_user)
    mkdir -p "$PG_DIR"
    as_root && chown "$user" "$PG_DIR"
    if as_owner "$user" "$PGBIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
        return
    fi
    if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
        echo "$PASSWORD" > "$PG_DIR/pwfile"
        as_root && chown "$user" "$PG_DIR/pwfile"
        as_owner "$user" "$PGBIN/initdb" -D "$PG_DIR/data" -U postgres -E UTF8 --locale=C \
            --auth-local=trust --auth-host=scram-sha-256 --pwfile="$PG_DIR/pwfile" >&2
    fi
    # Durability off: these servers hold nothing worth keeping, and tests run faster.
    as_owner "$user" "$PGBIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start \
        -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
            -c full_page_writes=off -c max_connections=300 -c shared_buffers=256MB" >&2 9>&- \
        || { tell_why "PostgreSQL" "$PG_DIR/server.log" "$PG_PORT"; exit 1; }
}

# tell_why NAME LOG PORT: why a server did not start, on stderr: the end of its log, and what
# else listens on its port.
tell_why() {
    log "$1 did not start; the end of $2:"
    tail -n 20 "$2" >&2 2>/dev/null || log "(no log)"
    if command -v ss >/dev/null; then
        local users; users=$(ss -ltnpH "sport = :$3" 2>/dev/null)
        [ -n "$users" ] && log "port $3 is taken: $users"
    fi
    log "(set DBTWIN_TEST_PG_PORT / DBTWIN_TEST_MY_PORT for other ports, or DBTWIN_TEST_PG_URL and DBTWIN_TEST_MY_URL for running servers)"
}

stop_pg() {
    [ -d "$PG_DIR/data" ] || return 0
    as_owner "$(pg_user)" "$PGBIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >&2 || true
    rm -rf "$PG_DIR"
}

my_user() { if as_root; then echo mysql; else id -un; fi; }

my_client() { mariadb --no-defaults --protocol=socket -S "$MY_DIR/mysqld.sock" -uroot "$@"; }

start_mariadb() {
    command -v mariadbd >/dev/null || install_packages mariadb-server mariadb-client
    local user; user=$(my_user)
    mkdir -p "$MY_DIR"
    as_root && chown "$user" "$MY_DIR"
    if [ -f "$MY_DIR/mysqld.pid" ] && kill -0 "$(cat "$MY_DIR/mysqld.pid")" 2>/dev/null; then
        return
    fi
    cat > "$MY_DIR/my.cnf" <<CNF
[mysqld]
datadir=$MY_DIR/data
socket=$MY_DIR/mysqld.sock
pid-file=$MY_DIR/mysqld.pid
log-error=$MY_DIR/error.log
port=$MY_PORT
bind-address=127.0.0.1
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
max_allowed_packet=64M
max_connections=300
innodb_buffer_pool_size=256M
innodb_flush_log_at_trx_commit=0
innodb_doublewrite=0
log_bin_trust_function_creators=1
# The binlog on, row-based, as a replicated production server has it: snapshots report their
# binlog position, and a follower can read the changes.
server_id=1
log_bin=$MY_DIR/binlog
binlog_format=ROW
binlog_row_image=FULL
sync_binlog=0
expire_logs_days=1
CNF
    local fresh=no
    if [ ! -d "$MY_DIR/data/mysql" ]; then
        as_owner "$user" mariadb-install-db --defaults-file="$MY_DIR/my.cnf" \
            --auth-root-authentication-method=normal --skip-test-db >&2
        fresh=yes
    fi
    # fd 9 is the start lock: a server that inherited it would hold it forever.
    as_owner "$user" setsid mariadbd --defaults-file="$MY_DIR/my.cnf" >/dev/null 2>&1 < /dev/null 9>&- &
    for _ in $(seq 1 120); do
        my_client -e 'SELECT 1' >/dev/null 2>&1 && break
        sleep 0.5
    done
    my_client -e 'SELECT 1' >/dev/null 2>&1 || { tell_why "MariaDB" "$MY_DIR/error.log" "$MY_PORT"; exit 1; }
    if [ $fresh = yes ]; then
        my_client -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
                      ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
                      GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; FLUSH PRIVILEGES;"
    fi
}

stop_mariadb() {
    [ -d "$MY_DIR" ] || return 0
    if [ -f "$MY_DIR/mysqld.pid" ]; then
        local pid; pid=$(cat "$MY_DIR/mysqld.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    fi
    rm -rf "$MY_DIR"
}

print_env() {
    echo "DBTWIN_TEST_PG_URL=postgres://postgres:$PASSWORD@127.0.0.1:$PG_PORT"
    echo "DBTWIN_TEST_MY_URL=mysql://root:$PASSWORD@127.0.0.1:$MY_PORT"
}

case "${1:-}" in
    start)
        mkdir -p "$DIR"
        # One start at a time, even from parallel test processes.
        exec 9>"$DIR/.lock"
        flock 9
        start_pg
        start_mariadb
        print_env
        ;;
    stop)
        stop_pg
        stop_mariadb
        ;;
    env) print_env ;;
    logs)
        # What a failed test run needs to tell a server's fault from dbtwin's: backends that
        # ended abnormally, terminations, resets, memory errors (the logs go with the data dir).
        for f in "$PG_DIR/server.log" "$MY_DIR/error.log"; do
            [ -f "$f" ] || continue
            log "notable lines of $f:"
            grep -E 'PANIC|FATAL|terminat|server process|out of memory|reinitializ|crash|Aborted|signal' "$f" \
                | grep -v 'password authentication failed' | tail -n 60 >&2 || log "(none)"
        done
        ;;
    *)
        echo "usage: $0 start|stop|env|logs" >&2
        exit 2
        ;;
esac
