-- The same Laravel 10 / 11 application's schema on MariaDB, as `php artisan migrate` builds
-- it (the statements the MySQL/MariaDB schema grammar sends, with the framework's default
-- charset utf8mb4 and collation utf8mb4_unicode_ci from config/database.php), then the
-- rows migrate itself inserts into `migrations`. Note timestamps() and timestamp() are
-- TIMESTAMP columns here (UTC from 1970-01-01 00:00:01 to 2038-01-19 03:14:07).
-- Hand-written for cutover's tests (issue 15); see tests/apps_sql.rs.

create table `migrations` (`id` int unsigned not null auto_increment primary key, `migration` varchar(255) not null, `batch` int not null) default character set utf8mb4 collate 'utf8mb4_unicode_ci';

create table `users` (`id` bigint unsigned not null auto_increment primary key, `name` varchar(255) not null, `email` varchar(255) not null, `email_verified_at` timestamp null, `password` varchar(255) not null, `is_admin` tinyint(1) not null default '0', `remember_token` varchar(100) null, `created_at` timestamp null, `updated_at` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table `users` add unique `users_email_unique`(`email`);

create table `password_reset_tokens` (`email` varchar(255) not null, `token` varchar(255) not null, `created_at` timestamp null, primary key (`email`)) default character set utf8mb4 collate 'utf8mb4_unicode_ci';

create table `password_resets` (`email` varchar(255) not null, `token` varchar(255) not null, `created_at` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table `password_resets` add index `password_resets_email_index`(`email`);

create table `sessions` (`id` varchar(255) not null, `user_id` bigint unsigned null, `ip_address` varchar(45) null, `user_agent` text null, `payload` longtext not null, `last_activity` int not null, primary key (`id`)) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table `sessions` add index `sessions_user_id_index`(`user_id`);
alter table `sessions` add index `sessions_last_activity_index`(`last_activity`);

create table `cache` (`key` varchar(255) not null, `value` mediumtext not null, `expiration` int not null, primary key (`key`)) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
create table `cache_locks` (`key` varchar(255) not null, `owner` varchar(255) not null, `expiration` int not null, primary key (`key`)) default character set utf8mb4 collate 'utf8mb4_unicode_ci';

create table `jobs` (`id` bigint unsigned not null auto_increment primary key, `queue` varchar(255) not null, `payload` longtext not null, `attempts` tinyint unsigned not null, `reserved_at` int unsigned null, `available_at` int unsigned not null, `created_at` int unsigned not null) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table `jobs` add index `jobs_queue_index`(`queue`);

create table `failed_jobs` (`id` bigint unsigned not null auto_increment primary key, `uuid` varchar(255) not null, `connection` text not null, `queue` text not null, `payload` longtext not null, `exception` longtext not null, `failed_at` timestamp not null default CURRENT_TIMESTAMP) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table `failed_jobs` add unique `failed_jobs_uuid_unique`(`uuid`);

create table `personal_access_tokens` (`id` bigint unsigned not null auto_increment primary key, `tokenable_type` varchar(255) not null, `tokenable_id` bigint unsigned not null, `name` varchar(255) not null, `token` varchar(64) not null, `abilities` text null, `last_used_at` timestamp null, `expires_at` timestamp null, `created_at` timestamp null, `updated_at` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table `personal_access_tokens` add index `personal_access_tokens_tokenable_type_tokenable_id_index`(`tokenable_type`, `tokenable_id`);
alter table `personal_access_tokens` add unique `personal_access_tokens_token_unique`(`token`);

-- uuid() is char(36) with Laravel 10 and Laravel 11's mysql driver (Laravel 11's mariadb
-- driver makes it MariaDB's native `uuid`); double() is DOUBLE.
create table `posts` (`id` bigint unsigned not null auto_increment primary key, `user_id` bigint unsigned not null, `title` varchar(255) not null, `slug` varchar(255) not null, `body` longtext not null, `status` enum('draft', 'published', 'archived') not null default 'draft', `is_featured` tinyint(1) not null default '0', `meta` json null, `price` decimal(8, 2) null, `rating` double null, `public_id` char(36) not null, `views` int unsigned not null default '0', `published_at` timestamp null, `created_at` timestamp null, `updated_at` timestamp null, `deleted_at` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table `posts` add constraint `posts_user_id_foreign` foreign key (`user_id`) references `users` (`id`) on delete cascade;
alter table `posts` add unique `posts_slug_unique`(`slug`);

create table `ledger_entries` (`id` bigint unsigned not null auto_increment primary key, `user_id` bigint unsigned not null, `amount_cents` bigint not null, `amount` decimal(15, 4) not null, `note` varchar(255) null, `created_at` timestamp null, `updated_at` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table `ledger_entries` add constraint `ledger_entries_user_id_foreign` foreign key (`user_id`) references `users` (`id`);

-- What `php artisan migrate --force` inserted into the new database (one batch).
insert into `migrations` (`migration`, `batch`) values ('0001_01_01_000000_create_users_table', 1);
insert into `migrations` (`migration`, `batch`) values ('0001_01_01_000001_create_cache_table', 1);
insert into `migrations` (`migration`, `batch`) values ('0001_01_01_000002_create_jobs_table', 1);
insert into `migrations` (`migration`, `batch`) values ('2019_12_14_000001_create_personal_access_tokens_table', 1);
insert into `migrations` (`migration`, `batch`) values ('2024_01_10_120000_create_posts_table', 1);
insert into `migrations` (`migration`, `batch`) values ('2024_02_01_090000_create_ledger_entries_table', 1);
