INSERT INTO customers (email, first_name, last_name, phone, street, city, zip, birth_date, signup_ip, created_at)
SELECT 'customer' || g || '@mail.example',
       (ARRAY['Anna','Ben','Chloé','Dmitri','Eve','Fatima','Gustav','Hiro'])[1 + g % 8],
       (ARRAY['Müller','Smith','García','Nakamura','Okafor','Rossi'])[1 + g % 6],
       '+1 555 01' || lpad((g % 100)::text, 2, '0'),
       g || ' Real Street', 'Springfield', lpad((g * 37 % 99999)::text, 5, '0'),
       date '1950-01-01' + (g * 97 % 20000),
       ('10.0.' || (g / 250) || '.' || (g % 250))::inet,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '37 minutes'
FROM generate_series(1, 2000) g;
INSERT INTO orders (customer_id, status, total, items, placed_at)
SELECT 1 + g % 2000, (ARRAY['new','paid','shipped','returned'])[1 + g % 4]::order_status,
       (g % 500) + 0.99, ARRAY['sku-' || g % 50, 'sku-' || g % 7], timestamptz '2024-06-01' + g * interval '11 minutes'
FROM generate_series(1, 5000) g;
INSERT INTO payments SELECT id, lpad((id * 7919 % 10000)::text, 4, '0'), placed_at + interval '5 minutes'
FROM orders WHERE status <> 'new';
INSERT INTO staff (username, email, password, notes) VALUES
    ('ajones', 'alice.jones@shop.example', '$2b$12$abcdefghijklmnopqrstuv', 'on call Mondays'),
    ('bkim', 'bo.kim@shop.example', '$2b$12$zyxwvutsrqponmlkjihgfe', NULL);
ANALYZE;
