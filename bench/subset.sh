#!/usr/bin/env bash
# Benchmark: a 1% subset of customers with their orders and items (and the products and
# categories those need) against a full copy of the same database, measured in the same run,
# PostgreSQL → PostgreSQL. The schema: SCALE × 100k customers, 3× as many orders, 6× as many
# items, 10k products, 1k categories (default SCALE=10: 1M customers, 10M rows in all).
#
#   bench/subset.sh             # SCALE=10
#   SCALE=1 bench/subset.sh     # a quicker look (1M rows)
#
# Target (issue 13): the subset takes ≤ 0.25× the full copy's time, dbtwin's peak RSS ≤ 256 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-10}
REPEAT=${REPEAT:-3}
CUSTOMERS=$((SCALE * 100000))
ROWS=$((CUSTOMERS * 10 + 11000))

if [ -z "${DBTWIN_TEST_PG_URL:-}" ]; then
    DBTWIN_TEST_PG_URL=$(scripts/test-servers.sh start | sed -n 's/^DBTWIN_TEST_PG_URL=//p')
fi
PG=$DBTWIN_TEST_PG_URL
source bench/lib.sh
bench_require_time
cargo build --release --quiet

SCHEMA="CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE products (id int PRIMARY KEY, category_id int NOT NULL REFERENCES categories(id), name text NOT NULL, price numeric(10,2));
CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, name text NOT NULL, country char(2));
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id), placed_at timestamptz NOT NULL);
CREATE TABLE items (id bigint PRIMARY KEY, order_id int NOT NULL REFERENCES orders(id), product_id int NOT NULL REFERENCES products(id), qty int NOT NULL);
CREATE INDEX ON orders (customer_id); CREATE INDEX ON items (order_id);"

psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS bench_sub_src" -c "DROP DATABASE IF EXISTS bench_sub_dst" \
    -c "CREATE DATABASE bench_sub_src" -c "CREATE DATABASE bench_sub_dst"
echo "building the source: $ROWS rows…"
psql -q "$PG/bench_sub_src" -c "$SCHEMA" -c "
INSERT INTO categories SELECT g, 'category ' || g FROM generate_series(1, 1000) g;
INSERT INTO products SELECT g, g % 1000 + 1, 'product ' || g, (g % 500) + 0.99 FROM generate_series(1, 10000) g;
INSERT INTO customers SELECT g, 'user' || g || '@example.com', 'Customer ' || g, (ARRAY['DE','FR','US','NL'])[g % 4 + 1]
    FROM generate_series(1, $CUSTOMERS) g;
INSERT INTO orders SELECT g, g % $CUSTOMERS + 1, '2024-01-01'::timestamptz + g * interval '1 minute'
    FROM generate_series(1, $((CUSTOMERS * 3))) g;
INSERT INTO items SELECT g, g % $((CUSTOMERS * 3)) + 1, g % 10000 + 1, g % 5 + 1 FROM generate_series(1, $((CUSTOMERS * 6))) g;

" -c "VACUUM ANALYZE"
psql -q "$PG/bench_sub_dst" -c "$SCHEMA"

RESULTS=$(mktemp)
reset() {
    psql -q "$PG/bench_sub_dst" -c "TRUNCATE items, orders, customers, products, categories" -c "CHECKPOINT"
}
count() { psql -At "$PG/bench_sub_dst" -c "SELECT count(*) FROM $1"; }
check_full() {
    local got; got=$(( $(count items) + $(count orders) + $(count customers) + $(count products) + $(count categories) ))
    [ "$got" = "$ROWS" ] || { echo "$1 copied $got rows, expected $ROWS"; exit 1; }
}
check_subset() {
    local customers orphans; customers=$(count customers)
    orphans=$(psql -At "$PG/bench_sub_dst" -c "SELECT
        (SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = o.customer_id))
      + (SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = i.order_id))
      + (SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.id = i.product_id))")
    [ "$orphans" = 0 ] || { echo "$1 left $orphans orphans"; exit 1; }
    # 1% by keyed hash: within a fifth of the share.
    [ "$customers" -gt $((CUSTOMERS / 125)) ] && [ "$customers" -lt $((CUSTOMERS / 83)) ] \
        || { echo "$1 chose $customers customers of $CUSTOMERS"; exit 1; }
    [ "$(count orders)" = $((customers * 3)) ] || { echo "$1: $(count orders) orders for $customers customers"; exit 1; }
}

config() {
    cat > "$RESULTS.$1.yaml" <<YAML
source: $PG/bench_sub_src
target: $PG/bench_sub_dst
secret: bench
tables:
  customers: email, name
YAML
    [ "$1" = subset ] && cat >> "$RESULTS.$1.yaml" <<YAML
subset:
  roots:
    - { table: customers, percent: 1 }
YAML
    echo "$RESULTS.$1.yaml"
}

bench_time dbtwin-full reset check_full target/release/dbtwin copy --progress none -q --config "$(config full)"
bench_time dbtwin-subset-1pct reset check_subset target/release/dbtwin copy --progress none -q --config "$(config subset)"
bench_report dbtwin-full
echo "(rows/s of the subset case counts the whole source's rows, which it scans)"
rm -f "$RESULTS" "$RESULTS".*
