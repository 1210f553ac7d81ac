-- The same Rails 7.1 / 7.2 application's schema on MariaDB, as `bin/rails db:migrate`
-- builds it with the mysql2 / trilogy adapter (the DDL `SHOW CREATE TABLE` prints, in
-- the database's default character set utf8mb4 and so its default collation,
-- utf8mb4_general_ci on MariaDB 10.11), then the rows db:migrate itself inserts.
-- `status` and `uuid` are plain strings here (create_enum and t.uuid are PostgreSQL's);
-- t.float is a 4-byte FLOAT on MySQL/MariaDB; t.json is MariaDB's JSON (a LONGTEXT with
-- a json_valid check). Hand-written for cutover's tests (issue 15); see tests/apps_sql.rs.

CREATE TABLE `schema_migrations` (
  `version` varchar(255) NOT NULL,
  PRIMARY KEY (`version`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `ar_internal_metadata` (
  `key` varchar(255) NOT NULL,
  `value` varchar(255) DEFAULT NULL,
  `created_at` datetime(6) NOT NULL,
  `updated_at` datetime(6) NOT NULL,
  PRIMARY KEY (`key`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `users` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `email` varchar(255) NOT NULL,
  `name` varchar(255) DEFAULT NULL,
  `password_digest` varchar(255) DEFAULT NULL,
  `admin` tinyint(1) NOT NULL DEFAULT 0,
  `balance` decimal(12,4) DEFAULT 0.0000,
  `preferences` json DEFAULT NULL,
  `last_sign_in_ip` varchar(255) DEFAULT NULL,
  `created_at` datetime(6) NOT NULL,
  `updated_at` datetime(6) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `index_users_on_email` (`email`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `products` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `sku` varchar(32) NOT NULL,
  `title` varchar(255) NOT NULL,
  `price` decimal(10,2) NOT NULL,
  `weight` float DEFAULT NULL,
  `stock` bigint(20) DEFAULT NULL,
  `description` text DEFAULT NULL,
  `published_on` date DEFAULT NULL,
  `available_at` time(6) DEFAULT NULL,
  `thumbnail` blob DEFAULT NULL,
  `active` tinyint(1) NOT NULL DEFAULT 1,
  `created_at` datetime(6) NOT NULL,
  `updated_at` datetime(6) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `index_products_on_sku` (`sku`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `orders` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `user_id` bigint(20) NOT NULL,
  `status` varchar(255) NOT NULL DEFAULT 'pending',
  `total` decimal(12,4) DEFAULT NULL,
  `placed_at` datetime(6) DEFAULT NULL,
  `uuid` varchar(255) DEFAULT NULL,
  `notes` text DEFAULT NULL,
  `created_at` datetime(6) NOT NULL,
  `updated_at` datetime(6) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `index_orders_on_user_id` (`user_id`),
  CONSTRAINT `fk_rails_f868b47f6a` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `line_items` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `order_id` bigint(20) NOT NULL,
  `product_id` bigint(20) NOT NULL,
  `quantity` int(11) NOT NULL DEFAULT 1,
  `unit_price` decimal(10,2) NOT NULL,
  `created_at` datetime(6) NOT NULL,
  `updated_at` datetime(6) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `index_line_items_on_order_id` (`order_id`),
  KEY `index_line_items_on_product_id` (`product_id`),
  CONSTRAINT `fk_rails_2ff0f7e8b5` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`),
  CONSTRAINT `fk_rails_11e15d5c6b` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- What `RAILS_ENV=production bin/rails db:migrate` inserted into the new database.
INSERT INTO `schema_migrations` (`version`) VALUES
('20240101000001'),
('20240101000002'),
('20240101000003'),
('20240101000004');

INSERT INTO `ar_internal_metadata` (`key`, `value`, `created_at`, `updated_at`) VALUES ('environment', 'production', '2024-06-01 09:00:00.654321', '2024-06-01 09:00:00.654321');
