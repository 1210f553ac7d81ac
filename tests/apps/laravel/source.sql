-- A Laravel 10 / 11 application on SQLite, as `php artisan migrate` builds it with the
-- SQLite schema grammar (the framework's own migrations: users, password reset tokens,
-- sessions, cache, jobs, failed_jobs, Sanctum's personal_access_tokens; plus two tables
-- of the app), and as Eloquent writes its rows there: datetimes as 'Y-m-d H:i:s',
-- booleans as 1/0, enums as text under a CHECK, json as text, decimals as SQLite numbers
-- (NUMERIC affinity), unix times as integers. Hand-written for cutover's tests (issue 15);
-- see tests/apps_sql.rs.
PRAGMA foreign_keys = ON;

CREATE TABLE IF NOT EXISTS "migrations" ("id" integer primary key autoincrement not null, "migration" varchar not null, "batch" integer not null);

CREATE TABLE IF NOT EXISTS "users" ("id" integer primary key autoincrement not null, "name" varchar not null, "email" varchar not null, "email_verified_at" datetime, "password" varchar not null, "is_admin" tinyint(1) not null default '0', "remember_token" varchar, "created_at" datetime, "updated_at" datetime);
CREATE UNIQUE INDEX "users_email_unique" on "users" ("email");

CREATE TABLE IF NOT EXISTS "password_reset_tokens" ("email" varchar not null, "token" varchar not null, "created_at" datetime, primary key ("email"));

-- Laravel 9 and earlier made password_resets (no primary key); an upgraded app still has it.
CREATE TABLE IF NOT EXISTS "password_resets" ("email" varchar not null, "token" varchar not null, "created_at" datetime);
CREATE INDEX "password_resets_email_index" on "password_resets" ("email");

CREATE TABLE IF NOT EXISTS "sessions" ("id" varchar not null, "user_id" integer, "ip_address" varchar, "user_agent" text, "payload" text not null, "last_activity" integer not null, primary key ("id"));
CREATE INDEX "sessions_user_id_index" on "sessions" ("user_id");
CREATE INDEX "sessions_last_activity_index" on "sessions" ("last_activity");

CREATE TABLE IF NOT EXISTS "cache" ("key" varchar not null, "value" text not null, "expiration" integer not null, primary key ("key"));
CREATE TABLE IF NOT EXISTS "cache_locks" ("key" varchar not null, "owner" varchar not null, "expiration" integer not null, primary key ("key"));

CREATE TABLE IF NOT EXISTS "jobs" ("id" integer primary key autoincrement not null, "queue" varchar not null, "payload" text not null, "attempts" integer not null, "reserved_at" integer, "available_at" integer not null, "created_at" integer not null);
CREATE INDEX "jobs_queue_index" on "jobs" ("queue");

CREATE TABLE IF NOT EXISTS "failed_jobs" ("id" integer primary key autoincrement not null, "uuid" varchar not null, "connection" text not null, "queue" text not null, "payload" text not null, "exception" text not null, "failed_at" datetime not null default CURRENT_TIMESTAMP);
CREATE UNIQUE INDEX "failed_jobs_uuid_unique" on "failed_jobs" ("uuid");

CREATE TABLE IF NOT EXISTS "personal_access_tokens" ("id" integer primary key autoincrement not null, "tokenable_type" varchar not null, "tokenable_id" integer not null, "name" varchar not null, "token" varchar not null, "abilities" text, "last_used_at" datetime, "expires_at" datetime, "created_at" datetime, "updated_at" datetime);
CREATE INDEX "personal_access_tokens_tokenable_type_tokenable_id_index" on "personal_access_tokens" ("tokenable_type", "tokenable_id");
CREATE UNIQUE INDEX "personal_access_tokens_token_unique" on "personal_access_tokens" ("token");

-- The app: foreignId('user_id')->constrained()->cascadeOnDelete(); enum('status', [...]);
-- boolean; json; decimal(8, 2); double; uuid; unsignedInteger; timestamp; softDeletes.
CREATE TABLE IF NOT EXISTS "posts" ("id" integer primary key autoincrement not null, "user_id" integer not null, "title" varchar not null, "slug" varchar not null, "body" text not null, "status" varchar check ("status" in ('draft', 'published', 'archived')) not null default 'draft', "is_featured" tinyint(1) not null default '0', "meta" text, "price" numeric, "rating" float, "public_id" varchar not null, "views" integer not null default '0', "published_at" datetime, "created_at" datetime, "updated_at" datetime, "deleted_at" datetime, foreign key("user_id") references "users"("id") on delete cascade);
CREATE UNIQUE INDEX "posts_slug_unique" on "posts" ("slug");

-- bigInteger('amount_cents'): the full signed 64-bit range; decimal('amount', 15, 4).
CREATE TABLE IF NOT EXISTS "ledger_entries" ("id" integer primary key autoincrement not null, "user_id" integer not null, "amount_cents" integer not null, "amount" numeric not null, "note" varchar, "created_at" datetime, "updated_at" datetime, foreign key("user_id") references "users"("id"));

INSERT INTO "migrations" ("id", "migration", "batch") VALUES
  (1, '0001_01_01_000000_create_users_table', 1),
  (2, '0001_01_01_000001_create_cache_table', 1),
  (3, '0001_01_01_000002_create_jobs_table', 1),
  (4, '2019_12_14_000001_create_personal_access_tokens_table', 1),
  (5, '2024_01_10_120000_create_posts_table', 2),
  (6, '2024_02_01_090000_create_ledger_entries_table', 3);

INSERT INTO "users" ("id", "name", "email", "email_verified_at", "password", "is_admin", "remember_token", "created_at", "updated_at") VALUES
  (1, 'Taylor', 'taylor@example.com', '2024-01-02 03:05:00', '$2y$12$Qh7Ix4kJp6Fm0Yd3VbZc8eWxHeBZPtwFPkuTiFBItLxTY4wZJmCdC', 1, 'k3J9sD0aPq7Lm2Xv5Bn8Cz1Wr4Ty6Uo0Ie3Ha7Gf9Jd2Ks5Ll8Mx', '2024-01-02 03:04:05', '2024-01-02 03:04:05'),
  (2, 'Dayle "D" O''Rees', 'dayle@example.com', NULL, '$2y$12$zq1B9cWm4Lk7Tn2Rv5Xo0uC0HkiLWoFrLAyV2ESM8KOVXGij8zw1S', 0, NULL, '2024-02-29 23:59:59', '2024-03-01 00:00:00'),
  (3, 'Removed', 'removed@example.com', NULL, '$2y$12$zq1B9cWm4Lk7Tn2Rv5Xo0uC0HkiLWoFrLAyV2ESM8KOVXGij8zw1S', 0, NULL, '2024-03-01 00:00:00', '2024-03-01 00:00:00'),
  (4, 'Zoë 🚀', 'zoe@example.com', '1970-01-01 00:00:01', '$2y$12$zq1B9cWm4Lk7Tn2Rv5Xo0uC0HkiLWoFrLAyV2ESM8KOVXGij8zw1S', 0, NULL, '2038-01-19 03:14:07', '2038-01-19 03:14:07'),
  (5, 'Removed too', 'removed2@example.com', NULL, '$2y$12$zq1B9cWm4Lk7Tn2Rv5Xo0uC0HkiLWoFrLAyV2ESM8KOVXGij8zw1S', 0, NULL, '2024-03-02 00:00:00', '2024-03-02 00:00:00');

INSERT INTO "password_reset_tokens" ("email", "token", "created_at") VALUES
  ('dayle@example.com', '$2y$12$Qh7Ix4kJp6Fm0Yd3VbZc8eWxHeBZPtwFPkuTiFBItLxTY4wZJmCdC', '2024-03-01 10:00:00');

INSERT INTO "password_resets" ("email", "token", "created_at") VALUES
  ('taylor@example.com', 'legacy-token-1', '2022-05-05 05:05:05'),
  ('taylor@example.com', 'legacy-token-1', '2022-05-05 05:05:05');

INSERT INTO "sessions" ("id", "user_id", "ip_address", "user_agent", "payload", "last_activity") VALUES
  ('Xq7Yb2Kc9Ld4Me1Nf6Og3Ph8Qi5Rj0Sk7Tl2Um9V', 1, '127.0.0.1', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)', 'YTozOntzOjY6Il90b2tlbiI7czo0MDoiYWJjIjt9', 1704164645),
  ('guest0000000000000000000000000000000000', NULL, '2001:db8::1', NULL, 'YToxOntzOjY6Il90b2tlbiI7fQ==', 1709251199);

INSERT INTO "cache" ("key", "value", "expiration") VALUES
  ('laravel_cache_settings', 'a:2:{s:5:"theme";s:4:"dark";s:4:"path";s:9:"C:\temp\x";}', 1704168245),
  ('laravel_cache_forever', 'i:42;', 2147483647);

INSERT INTO "cache_locks" ("key", "owner", "expiration") VALUES ('laravel_cache_lock_import', 'Aa1Bb2Cc3Dd4Ee5F', 1704164705);

INSERT INTO "jobs" ("id", "queue", "payload", "attempts", "reserved_at", "available_at", "created_at") VALUES
  (1, 'default', '{"uuid":"5b1d2c4e-0f3a-4b6c-8d9e-1a2b3c4d5e6f","displayName":"App\\Jobs\\SendWelcome","job":"Illuminate\\Queue\\CallQueuedHandler@call","maxTries":null,"data":{"commandName":"App\\Jobs\\SendWelcome"}}', 0, NULL, 1704164645, 1704164645),
  (2, 'emails', '{"displayName":"App\\Jobs\\Digest"}', 3, 1704164700, 1704164645, 1704164600),
  (3, 'emails', '{"displayName":"App\\Jobs\\Done"}', 1, 1704164701, 1704164645, 1704164600);

INSERT INTO "failed_jobs" ("id", "uuid", "connection", "queue", "payload", "exception", "failed_at") VALUES
  (1, '9b2f8c1e-3d4a-4e5b-8c6d-7e8f9a0b1c2d', 'database', 'default', '{"displayName":"App\\Jobs\\SendWelcome"}', 'Exception: boom "quoted" in /var/www/app/Jobs/SendWelcome.php:12' || char(10) || 'Stack trace:' || char(10) || '#0 {main}', '2024-01-02 03:04:05');

INSERT INTO "personal_access_tokens" ("id", "tokenable_type", "tokenable_id", "name", "token", "abilities", "last_used_at", "expires_at", "created_at", "updated_at") VALUES
  (1, 'App\Models\User', 1, 'cli', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '["*"]', '2024-03-01 12:00:00', NULL, '2024-01-02 03:04:05', '2024-03-01 12:00:00'),
  (2, 'App\Models\User', 2, 'deploy', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824', '["deploy:run","read"]', NULL, '2025-01-01 00:00:00', '2024-02-01 00:00:00', '2024-02-01 00:00:00');

INSERT INTO "posts" ("id", "user_id", "title", "slug", "body", "status", "is_featured", "meta", "price", "rating", "public_id", "views", "published_at", "created_at", "updated_at", "deleted_at") VALUES
  (1, 1, 'Hello, world', 'hello-world', 'First post.' || char(10) || 'With a second line.', 'published', 1, '{"tags":["intro","news"],"seo":{"title":"Hello"}}', 19.99, 4.5, '0f8fad5b-d9cb-469f-a165-70867728950e', 2147483647, '2024-01-02 03:04:05', '2024-01-02 03:04:05', '2024-01-02 03:04:05', NULL),
  (2, 2, 'It''s "quoted" \ back\slashed', 'its-quoted', 'Emoji 😀 and ünïcödé', 'draft', 0, NULL, 0, NULL, '7c9e6679-7425-40de-944b-e07fc1f90ae7', 0, NULL, '2024-02-29 23:59:59', '2024-02-29 23:59:59', NULL),
  (3, 1, 'Old news', 'old-news', '', 'archived', 0, '[]', 999999.99, 0.1, 'e4eaaaf2-d142-11e1-b3e4-080027620cdd', 12, '2000-01-01 00:00:00', '2000-01-01 00:00:00', '2024-03-01 00:00:00', '2024-03-01 00:00:00'),
  (4, 2, 'Gone', 'gone', 'x', 'draft', 0, NULL, 1, NULL, '16fd2706-8baf-433b-82eb-8c7fada847da', 0, NULL, '2024-03-01 00:00:00', '2024-03-01 00:00:00', NULL);

INSERT INTO "ledger_entries" ("id", "user_id", "amount_cents", "amount", "note", "created_at", "updated_at") VALUES
  (1, 1, 9223372036854775807, 12345678901.2345, 'max', '2024-01-02 03:04:05', '2024-01-02 03:04:05'),
  (2, 2, -9223372036854775808, -0.0001, 'min', '2024-01-02 03:04:06', '2024-01-02 03:04:06'),
  (3, 4, 0, 0.5, NULL, '2024-01-02 03:04:07', '2024-01-02 03:04:07');

-- Deleted rows: sqlite_sequence stays above the largest id left (users 5 > 4, jobs 3 > 2, posts 4 > 3).
DELETE FROM "posts" WHERE "id" = 4;
DELETE FROM "jobs" WHERE "id" = 3;
DELETE FROM "users" WHERE "id" IN (3, 5);
