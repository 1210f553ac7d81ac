-- The same Rails 7.1 / 7.2 application's schema on PostgreSQL, as `bin/rails db:migrate`
-- builds it with the postgresql adapter (written in the style of db/structure.sql), then
-- the rows db:migrate itself inserts: the schema_migrations versions and the
-- ar_internal_metadata environment. cutover fills it with --schema existing --truncate.
-- Hand-written for cutover's tests (issue 15); see tests/apps_sql.rs.

-- create_enum :order_status, %w[pending paid shipped cancelled]
CREATE TYPE public.order_status AS ENUM (
    'pending',
    'paid',
    'shipped',
    'cancelled'
);

CREATE TABLE public.schema_migrations (
    version character varying NOT NULL
);

CREATE TABLE public.ar_internal_metadata (
    key character varying NOT NULL,
    value character varying,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

-- create_table makes `id bigserial primary key`; structure.sql spells it out as a bigint
-- with an owned sequence and a nextval default.
CREATE TABLE public.users (
    id bigint NOT NULL,
    email character varying NOT NULL,
    name character varying,
    password_digest character varying,
    admin boolean DEFAULT false NOT NULL,
    balance numeric(12,4) DEFAULT 0.0,
    preferences jsonb,
    last_sign_in_ip inet,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

CREATE SEQUENCE public.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;

ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);

CREATE TABLE public.products (
    id bigserial NOT NULL,
    sku character varying(32) NOT NULL,
    title character varying NOT NULL,
    price numeric(10,2) NOT NULL,
    weight double precision,
    stock bigint,
    description text,
    published_on date,
    available_at time(6) without time zone,
    thumbnail bytea,
    active boolean DEFAULT true NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

-- t.uuid :uuid, default: "gen_random_uuid()" (built into PostgreSQL 13+, pgcrypto before).
CREATE TABLE public.orders (
    id bigserial NOT NULL,
    user_id bigint NOT NULL,
    status public.order_status DEFAULT 'pending'::public.order_status NOT NULL,
    total numeric(12,4),
    placed_at timestamp(6) without time zone,
    uuid uuid DEFAULT gen_random_uuid(),
    notes text,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

CREATE TABLE public.line_items (
    id bigserial NOT NULL,
    order_id bigint NOT NULL,
    product_id bigint NOT NULL,
    quantity integer DEFAULT 1 NOT NULL,
    unit_price numeric(10,2) NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

ALTER TABLE ONLY public.ar_internal_metadata
    ADD CONSTRAINT ar_internal_metadata_pkey PRIMARY KEY (key);

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.products
    ADD CONSTRAINT products_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.line_items
    ADD CONSTRAINT line_items_pkey PRIMARY KEY (id);

CREATE UNIQUE INDEX index_users_on_email ON public.users USING btree (email);

CREATE UNIQUE INDEX index_products_on_sku ON public.products USING btree (sku);

CREATE INDEX index_orders_on_user_id ON public.orders USING btree (user_id);

CREATE INDEX index_line_items_on_order_id ON public.line_items USING btree (order_id);

CREATE INDEX index_line_items_on_product_id ON public.line_items USING btree (product_id);

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT fk_rails_f868b47f6a FOREIGN KEY (user_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.line_items
    ADD CONSTRAINT fk_rails_2ff0f7e8b5 FOREIGN KEY (order_id) REFERENCES public.orders(id);

ALTER TABLE ONLY public.line_items
    ADD CONSTRAINT fk_rails_11e15d5c6b FOREIGN KEY (product_id) REFERENCES public.products(id);

-- What `RAILS_ENV=production bin/rails db:migrate` inserted into the new database.
INSERT INTO "schema_migrations" (version) VALUES
('20240101000004'),
('20240101000003'),
('20240101000002'),
('20240101000001');

INSERT INTO "ar_internal_metadata" ("key", "value", "created_at", "updated_at") VALUES ('environment', 'production', '2024-06-01 09:00:00.654321', '2024-06-01 09:00:00.654321');
