-- A small shop: customers with personal data, their orders and payments, and staff.
CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'returned');
CREATE TABLE customers (
    id          serial PRIMARY KEY,
    email       varchar(80) NOT NULL UNIQUE,
    first_name  text NOT NULL,
    last_name   text NOT NULL,
    phone       varchar(40),
    street      text,
    city        text,
    zip         varchar(10),
    birth_date  date,
    signup_ip   inet,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE orders (
    id          serial PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers(id),
    status      order_status NOT NULL,
    total       numeric(10,2) NOT NULL,
    items       text[] NOT NULL,
    placed_at   timestamptz NOT NULL
);
CREATE TABLE payments (
    order_id    integer NOT NULL REFERENCES orders(id),
    card_last4  char(4),
    paid_at     timestamptz
);
CREATE TABLE staff (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username    varchar(40) NOT NULL UNIQUE,
    email       text NOT NULL,
    password    text NOT NULL,
    notes       text
);
