CREATE TYPE public.order_status AS ENUM ('pending', 'paid', 'shipped', 'cancelled');

CREATE TABLE public.customer (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  email text NOT NULL,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT customer_pkey PRIMARY KEY (id),
  CONSTRAINT customer_email_key UNIQUE (email)
);

CREATE TABLE public.category (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  name text NOT NULL,
  CONSTRAINT category_pkey PRIMARY KEY (id),
  CONSTRAINT category_name_key UNIQUE (name)
);

CREATE TABLE public.product (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  sku text NOT NULL,
  name text NOT NULL,
  description text,
  price numeric(12,2) NOT NULL,
  attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
  active boolean NOT NULL DEFAULT TRUE,
  CONSTRAINT product_pkey PRIMARY KEY (id),
  CONSTRAINT product_sku_key UNIQUE (sku),
  CONSTRAINT product_price_check CHECK (price >= 0)
);

CREATE TABLE public.address (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  customer_id bigint NOT NULL,
  line1 text NOT NULL,
  city text NOT NULL,
  postal_code text NOT NULL,
  country text NOT NULL,
  CONSTRAINT address_pkey PRIMARY KEY (id),
  CONSTRAINT address_country_check CHECK (char_length(country) = 2),
  CONSTRAINT address_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customer (id) ON DELETE CASCADE
);

CREATE TABLE public.product_categories (
  product_id bigint NOT NULL,
  category_id bigint NOT NULL,
  CONSTRAINT product_categories_pkey PRIMARY KEY (product_id, category_id),
  CONSTRAINT product_categories_product_id_fkey FOREIGN KEY (product_id) REFERENCES public.product (id) ON DELETE CASCADE,
  CONSTRAINT product_categories_category_id_fkey FOREIGN KEY (category_id) REFERENCES public.category (id) ON DELETE CASCADE
);

CREATE TABLE public."order" (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  customer_id bigint NOT NULL,
  shipping_address_id bigint,
  status public.order_status NOT NULL DEFAULT 'pending',
  total numeric(12,2) NOT NULL,
  placed_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT order_pkey PRIMARY KEY (id),
  CONSTRAINT order_total_check CHECK (total >= 0),
  CONSTRAINT order_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customer (id) ON DELETE RESTRICT,
  CONSTRAINT order_shipping_address_id_fkey FOREIGN KEY (shipping_address_id) REFERENCES public.address (id) ON DELETE SET NULL
);

CREATE SEQUENCE public.order_line_id_seq AS bigint;

CREATE TABLE public.order_line (
  id bigint NOT NULL DEFAULT nextval('public.order_line_id_seq'::regclass),
  order_id bigint NOT NULL,
  product_id bigint NOT NULL,
  quantity integer NOT NULL,
  unit_price numeric(12,2) NOT NULL,
  CONSTRAINT order_line_pkey PRIMARY KEY (id, order_id),
  CONSTRAINT order_line_order_id_product_id_key UNIQUE (order_id, product_id),
  CONSTRAINT order_line_quantity_check CHECK (quantity > 0),
  CONSTRAINT order_line_unit_price_check CHECK (unit_price >= 0),
  CONSTRAINT order_line_order_id_fkey FOREIGN KEY (order_id) REFERENCES public."order" (id) ON DELETE CASCADE,
  CONSTRAINT order_line_product_id_fkey FOREIGN KEY (product_id) REFERENCES public.product (id) ON DELETE RESTRICT
) PARTITION BY HASH (order_id);

ALTER SEQUENCE public.order_line_id_seq OWNED BY public.order_line.id;

CREATE TABLE public.order_line_p0 PARTITION OF public.order_line FOR VALUES WITH (MODULUS 8, REMAINDER 0);

CREATE TABLE public.order_line_p1 PARTITION OF public.order_line FOR VALUES WITH (MODULUS 8, REMAINDER 1);

CREATE TABLE public.order_line_p2 PARTITION OF public.order_line FOR VALUES WITH (MODULUS 8, REMAINDER 2);

CREATE TABLE public.order_line_p3 PARTITION OF public.order_line FOR VALUES WITH (MODULUS 8, REMAINDER 3);

CREATE TABLE public.order_line_p4 PARTITION OF public.order_line FOR VALUES WITH (MODULUS 8, REMAINDER 4);

CREATE TABLE public.order_line_p5 PARTITION OF public.order_line FOR VALUES WITH (MODULUS 8, REMAINDER 5);

CREATE TABLE public.order_line_p6 PARTITION OF public.order_line FOR VALUES WITH (MODULUS 8, REMAINDER 6);

CREATE TABLE public.order_line_p7 PARTITION OF public.order_line FOR VALUES WITH (MODULUS 8, REMAINDER 7);

CREATE INDEX order_customer_id_placed_at_idx ON public."order" (customer_id, placed_at DESC) INCLUDE (id, total, status);

CREATE INDEX order_placed_at_partial_idx ON public."order" (placed_at) WHERE status = 'pending';

CREATE INDEX product_categories_category_id_idx ON public.product_categories (category_id) INCLUDE (product_id);

CREATE INDEX address_customer_id_idx ON public.address (customer_id);

CREATE INDEX order_shipping_address_id_idx ON public."order" (shipping_address_id);

CREATE INDEX order_line_product_id_idx ON public.order_line (product_id);
