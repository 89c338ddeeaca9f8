#!/usr/bin/env bash
# Demo: copy a small PostgreSQL "production" shop into an anonymized staging twin.
# Uses a throwaway server from scripts/test-servers.sh (or DBTWIN_TEST_PG_URL if set).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DBTWIN_TEST_PG_URL:-}" ]; then
    DBTWIN_TEST_PG_URL=$(scripts/test-servers.sh start | sed -n 's/^DBTWIN_TEST_PG_URL=//p')
fi
PG=$DBTWIN_TEST_PG_URL
cargo build --release --quiet

psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS shop_prod" -c "DROP DATABASE IF EXISTS shop_staging" \
    -c "CREATE DATABASE shop_prod" -c "CREATE DATABASE shop_staging"
psql -q -v ON_ERROR_STOP=1 "$PG/shop_prod" -f examples/shop-schema.sql -f examples/shop-data.sql
psql -q -v ON_ERROR_STOP=1 "$PG/shop_staging" -f examples/shop-schema.sql

export DBTWIN_SOURCE=$PG/shop_prod DBTWIN_TARGET=$PG/shop_staging DBTWIN_SECRET=demo-secret
target/release/dbtwin copy --config examples/shop.yaml

echo
echo "production:"
psql -q "$PG/shop_prod" -c "SELECT id, email, first_name, last_name, phone, city, birth_date FROM customers ORDER BY id LIMIT 3"
echo "staging twin:"
psql -q "$PG/shop_staging" -c "SELECT id, email, first_name, last_name, phone, city, birth_date FROM customers ORDER BY id LIMIT 3"
