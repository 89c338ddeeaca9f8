#!/usr/bin/env bash
# Runs every example as written and checks what it printed (part of scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# The README's first command, as written there (in a temp dir so the checkout stays clean).
demo_dir=$(mktemp -d)
out=$(cargo run --release -q -- demo --dir "$demo_dir/dbtwin-demo" 2>&1) || { echo "$out"; echo "dbtwin demo failed"; exit 1; }
for expect in "main.customers  upsert   200" "3 tables, " "@example.com" "384 in production, 384 in the twin"; do
    grep -qF -- "$expect" <<<"$out" || { echo "$out"; echo "dbtwin demo: missing \"$expect\""; exit 1; }
done
rm -rf "$demo_dir"

out=$(bash examples/pg-demo.sh 2>&1) || { echo "$out"; echo "examples/pg-demo.sh failed"; exit 1; }
for expect in "public.customers" "2000" "public.orders" "5000" "4 tables, " "@example.com"; do
    grep -qF -- "$expect" <<<"$out" || { echo "$out"; echo "examples/pg-demo.sh: missing \"$expect\""; exit 1; }
done
if grep -qF "customer1@mail.example" <<<"$(psql -At "${DBTWIN_TEST_PG_URL:-$(scripts/test-servers.sh env | sed -n 's/^DBTWIN_TEST_PG_URL=//p')}/shop_staging" -c 'SELECT email FROM customers')"; then
    echo "examples/pg-demo.sh: a real e-mail reached the staging twin"; exit 1
fi
echo "examples: 2 passed, 0 failed"
