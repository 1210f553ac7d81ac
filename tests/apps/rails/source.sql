-- A Rails 7.1 / 7.2 application on SQLite, as `bin/rails db:migrate` builds it (the
-- sqlite3 adapter's DDL) and as Active Record writes its rows there: datetimes as
-- 'YYYY-MM-DD HH:MM:SS.ffffff' (precision 6), booleans as 1/0, json as text, decimals as
-- SQLite numbers (NUMERIC affinity), binary as BLOB, and `t.time` values as
-- '2000-01-01 HH:MM:SS[.ffffff]' (the adapter pins a time of day to 2000-01-01).
-- Hand-written for cutover's tests (issue 15); see tests/apps_sql.rs.
PRAGMA foreign_keys = ON;

CREATE TABLE IF NOT EXISTS "schema_migrations" ("version" varchar NOT NULL PRIMARY KEY);
CREATE TABLE IF NOT EXISTS "ar_internal_metadata" ("key" varchar NOT NULL PRIMARY KEY, "value" varchar, "created_at" datetime(6) NOT NULL, "updated_at" datetime(6) NOT NULL);

-- create_table :users: t.string :email, null: false, index: { unique: true }; has_secure_password;
-- t.inet :last_sign_in_ip on PostgreSQL is t.string elsewhere (the migration branches on the adapter).
CREATE TABLE IF NOT EXISTS "users" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "email" varchar NOT NULL, "name" varchar, "password_digest" varchar, "admin" boolean DEFAULT 0 NOT NULL, "balance" decimal(12,4) DEFAULT 0.0, "preferences" json, "last_sign_in_ip" varchar, "created_at" datetime(6) NOT NULL, "updated_at" datetime(6) NOT NULL);
CREATE UNIQUE INDEX "index_users_on_email" ON "users" ("email");

-- t.time :available_at, precision: 6 (without it, MySQL/MariaDB's TIME keeps no fraction).
CREATE TABLE IF NOT EXISTS "products" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "sku" varchar(32) NOT NULL, "title" varchar NOT NULL, "price" decimal(10,2) NOT NULL, "weight" float, "stock" bigint, "description" text, "published_on" date, "available_at" time(6), "thumbnail" blob, "active" boolean DEFAULT 1 NOT NULL, "created_at" datetime(6) NOT NULL, "updated_at" datetime(6) NOT NULL);
CREATE UNIQUE INDEX "index_products_on_sku" ON "products" ("sku");

-- t.references :user, null: false, foreign_key: true. `status` is a native enum on
-- PostgreSQL (create_enum :order_status) and a string elsewhere; `uuid` is t.uuid on
-- PostgreSQL and t.string elsewhere.
CREATE TABLE IF NOT EXISTS "orders" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "user_id" integer NOT NULL, "status" varchar DEFAULT 'pending' NOT NULL, "total" decimal(12,4), "placed_at" datetime(6), "uuid" varchar, "notes" text, "created_at" datetime(6) NOT NULL, "updated_at" datetime(6) NOT NULL, CONSTRAINT "fk_rails_f868b47f6a"
FOREIGN KEY ("user_id")
  REFERENCES "users" ("id")
);
CREATE INDEX "index_orders_on_user_id" ON "orders" ("user_id");

CREATE TABLE IF NOT EXISTS "line_items" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "order_id" integer NOT NULL, "product_id" integer NOT NULL, "quantity" integer DEFAULT 1 NOT NULL, "unit_price" decimal(10,2) NOT NULL, "created_at" datetime(6) NOT NULL, "updated_at" datetime(6) NOT NULL, CONSTRAINT "fk_rails_2ff0f7e8b5"
FOREIGN KEY ("order_id")
  REFERENCES "orders" ("id")
, CONSTRAINT "fk_rails_11e15d5c6b"
FOREIGN KEY ("product_id")
  REFERENCES "products" ("id")
);
CREATE INDEX "index_line_items_on_order_id" ON "line_items" ("order_id");
CREATE INDEX "index_line_items_on_product_id" ON "line_items" ("product_id");

INSERT INTO "schema_migrations" ("version") VALUES ('20240101000001'), ('20240101000002'), ('20240101000003'), ('20240101000004');
INSERT INTO "ar_internal_metadata" ("key", "value", "created_at", "updated_at") VALUES ('environment', 'production', '2023-11-20 08:00:00.000001', '2023-11-20 08:00:00.000001');

INSERT INTO "users" ("id", "email", "name", "password_digest", "admin", "balance", "preferences", "last_sign_in_ip", "created_at", "updated_at") VALUES
  (1, 'ada@example.com', 'Ada Lovelace', '$2a$12$R9h/cIPz0gi.URNNX3kh2OoLPwTdOAymPHsrvQP3DDZabggtl0m6W', 1, 1234.5678, '{"theme":"dark","notify":true}', '192.0.2.10', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123456'),
  (2, 'bob@example.com', 'Bob "the builder" O''Brien', '$2a$12$R9h/cIPz0gi.URNNX3kh2OoLPwTdOAymPHsrvQP3DDZabggtl0m6W', 0, -0.0001, '{"tags":["a","b"],"n":null,"big":123456789012345678901234567890}', '2001:db8::1', '2024-02-29 23:59:59.999999', '2024-03-01 00:00:00.000001'),
  (3, 'gone@example.com', 'Deleted', NULL, 0, 0, NULL, NULL, '2024-03-01 00:00:00', '2024-03-01 00:00:00'),
  (4, 'zoe@example.com', 'Zoë 🚀 C:\Users\zoe', NULL, 0, 0, NULL, NULL, '2024-03-02 12:00:00.500000', '2024-03-02 12:00:00.500000'),
  (6, 'last@example.com', 'Deleted too', NULL, 0, 0, NULL, NULL, '2024-03-03 00:00:00', '2024-03-03 00:00:00');

INSERT INTO "products" ("id", "sku", "title", "price", "weight", "stock", "description", "published_on", "available_at", "thumbnail", "active", "created_at", "updated_at") VALUES
  (1, 'WID-001', 'Widget', 19.99, 0.5, 9223372036854775807, 'Line one' || char(10) || 'Line two', '2024-01-02', '2000-01-01 09:30:00', X'00FF10', 1, '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123456'),
  (2, 'GAD-002', 'Gadget ''Pro''', 99999999.99, 1.25, -9223372036854775808, 'back\slash \n not a newline', NULL, '2000-01-01 17:45:30.250000', X'', 0, '2024-01-02 03:04:05.000001', '2024-01-02 03:04:05.000001'),
  (3, 'EMO-003', 'Emoji 😀', 0.01, NULL, 0, NULL, '1999-12-31', NULL, NULL, 1, '2024-01-03 00:00:00', '2024-01-03 00:00:00');

INSERT INTO "orders" ("id", "user_id", "status", "total", "placed_at", "uuid", "notes", "created_at", "updated_at") VALUES
  (1, 1, 'paid', 39.98, '2024-02-29 23:59:59.999999', '2f1c5a9e-7b3d-4c1a-9e8f-0a1b2c3d4e5f', NULL, '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59.999999'),
  (2, 2, 'pending', 0.0001, NULL, '00000000-0000-0000-0000-000000000000', 'leave at the door; ring twice', '2024-03-01 00:00:00.000001', '2024-03-01 00:00:00.000001'),
  (3, 2, 'cancelled', 5, NULL, NULL, NULL, '2024-03-01 00:00:00.000001', '2024-03-01 00:00:00.000001'),
  (4, 1, 'shipped', 12345678.1234, '2024-03-05 08:15:00', 'ffffffff-ffff-4fff-bfff-ffffffffffff', 'gift', '2024-03-05 08:15:00', '2024-03-05 08:15:00'),
  (5, 1, 'pending', NULL, NULL, NULL, NULL, '2024-03-06 10:00:00', '2024-03-06 10:00:00');

INSERT INTO "line_items" ("id", "order_id", "product_id", "quantity", "unit_price", "created_at", "updated_at") VALUES
  (1, 1, 1, 2, 19.99, '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59.999999'),
  (2, 2, 3, 1, 0.01, '2024-03-01 00:00:00.000001', '2024-03-01 00:00:00.000001'),
  (3, 3, 2, 1, 5, '2024-03-01 00:00:00.000001', '2024-03-01 00:00:00.000001'),
  (4, 4, 2, 1, 99999999.99, '2024-03-05 08:15:00', '2024-03-05 08:15:00'),
  (7, 4, 1, 3, 19.99, '2024-03-05 08:15:00', '2024-03-05 08:15:00');

-- Active Record writes no fraction when the microseconds are 0. Destroyed records:
-- sqlite_sequence keeps the ids SQLite handed out (users 6, orders 5, line_items 7), above
-- the largest id left (4, 4, 4); products has none deleted (3 = 3).
DELETE FROM "line_items" WHERE "id" IN (3, 7);
DELETE FROM "orders" WHERE "id" IN (3, 5);
DELETE FROM "users" WHERE "id" IN (3, 6);
