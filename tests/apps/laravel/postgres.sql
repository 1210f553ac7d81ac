-- The same Laravel 10 / 11 application's schema on PostgreSQL, as `php artisan migrate`
-- builds it (the statements the PostgreSQL schema grammar sends), then the rows migrate
-- itself inserts into `migrations`. enum() is a varchar(255) under a CHECK on the labels;
-- json() is json; uuid() is uuid; boolean() is boolean; unsigned integers are the signed
-- types of the same width (tinyint unsigned: smallint). timestamps(): Laravel 10 writes
-- `timestamp(0) without time zone` (Laravel 11 leaves the precision out, PostgreSQL's 6).
-- Hand-written for cutover's tests (issue 15); see tests/apps_sql.rs.

create table "migrations" ("id" serial not null primary key, "migration" varchar(255) not null, "batch" integer not null);

create table "users" ("id" bigserial not null primary key, "name" varchar(255) not null, "email" varchar(255) not null, "email_verified_at" timestamp(0) without time zone null, "password" varchar(255) not null, "is_admin" boolean not null default '0', "remember_token" varchar(100) null, "created_at" timestamp(0) without time zone null, "updated_at" timestamp(0) without time zone null);
alter table "users" add constraint "users_email_unique" unique ("email");

create table "password_reset_tokens" ("email" varchar(255) not null, "token" varchar(255) not null, "created_at" timestamp(0) without time zone null, primary key ("email"));

create table "password_resets" ("email" varchar(255) not null, "token" varchar(255) not null, "created_at" timestamp(0) without time zone null);
create index "password_resets_email_index" on "password_resets" ("email");

create table "sessions" ("id" varchar(255) not null, "user_id" bigint null, "ip_address" varchar(45) null, "user_agent" text null, "payload" text not null, "last_activity" integer not null, primary key ("id"));
create index "sessions_user_id_index" on "sessions" ("user_id");
create index "sessions_last_activity_index" on "sessions" ("last_activity");

create table "cache" ("key" varchar(255) not null, "value" text not null, "expiration" integer not null, primary key ("key"));
create table "cache_locks" ("key" varchar(255) not null, "owner" varchar(255) not null, "expiration" integer not null, primary key ("key"));

create table "jobs" ("id" bigserial not null primary key, "queue" varchar(255) not null, "payload" text not null, "attempts" smallint not null, "reserved_at" integer null, "available_at" integer not null, "created_at" integer not null);
create index "jobs_queue_index" on "jobs" ("queue");

create table "failed_jobs" ("id" bigserial not null primary key, "uuid" varchar(255) not null, "connection" text not null, "queue" text not null, "payload" text not null, "exception" text not null, "failed_at" timestamp(0) without time zone not null default CURRENT_TIMESTAMP);
alter table "failed_jobs" add constraint "failed_jobs_uuid_unique" unique ("uuid");

create table "personal_access_tokens" ("id" bigserial not null primary key, "tokenable_type" varchar(255) not null, "tokenable_id" bigint not null, "name" varchar(255) not null, "token" varchar(64) not null, "abilities" text null, "last_used_at" timestamp(0) without time zone null, "expires_at" timestamp(0) without time zone null, "created_at" timestamp(0) without time zone null, "updated_at" timestamp(0) without time zone null);
create index "personal_access_tokens_tokenable_type_tokenable_id_index" on "personal_access_tokens" ("tokenable_type", "tokenable_id");
alter table "personal_access_tokens" add constraint "personal_access_tokens_token_unique" unique ("token");

create table "posts" ("id" bigserial not null primary key, "user_id" bigint not null, "title" varchar(255) not null, "slug" varchar(255) not null, "body" text not null, "status" varchar(255) check ("status" in ('draft', 'published', 'archived')) not null default 'draft', "is_featured" boolean not null default '0', "meta" json null, "price" decimal(8, 2) null, "rating" double precision null, "public_id" uuid not null, "views" integer not null default '0', "published_at" timestamp(0) without time zone null, "created_at" timestamp(0) without time zone null, "updated_at" timestamp(0) without time zone null, "deleted_at" timestamp(0) without time zone null);
alter table "posts" add constraint "posts_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;
alter table "posts" add constraint "posts_slug_unique" unique ("slug");

create table "ledger_entries" ("id" bigserial not null primary key, "user_id" bigint not null, "amount_cents" bigint not null, "amount" decimal(15, 4) not null, "note" varchar(255) null, "created_at" timestamp(0) without time zone null, "updated_at" timestamp(0) without time zone null);
alter table "ledger_entries" add constraint "ledger_entries_user_id_foreign" foreign key ("user_id") references "users" ("id");

-- What `php artisan migrate --force` inserted into the new database (one batch).
insert into "migrations" ("migration", "batch") values ('0001_01_01_000000_create_users_table', 1);
insert into "migrations" ("migration", "batch") values ('0001_01_01_000001_create_cache_table', 1);
insert into "migrations" ("migration", "batch") values ('0001_01_01_000002_create_jobs_table', 1);
insert into "migrations" ("migration", "batch") values ('2019_12_14_000001_create_personal_access_tokens_table', 1);
insert into "migrations" ("migration", "batch") values ('2024_01_10_120000_create_posts_table', 1);
insert into "migrations" ("migration", "batch") values ('2024_02_01_090000_create_ledger_entries_table', 1);
