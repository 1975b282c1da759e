CREATE TYPE public.ticket_status AS ENUM ('new', 'open', 'pending', 'solved', 'closed');

CREATE TYPE public.message_author_kind AS ENUM ('customer', 'agent', 'system');

CREATE TABLE public.account (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  name text NOT NULL,
  subdomain text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT account_pkey PRIMARY KEY (id),
  CONSTRAINT account_subdomain_key UNIQUE (subdomain),
  CONSTRAINT account_subdomain_check CHECK (subdomain ~ '^[a-z0-9-]+$')
);

CREATE TABLE public.agent (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  account_id bigint NOT NULL,
  email text NOT NULL,
  name text NOT NULL,
  CONSTRAINT agent_pkey PRIMARY KEY (id),
  CONSTRAINT agent_account_id_email_key UNIQUE (account_id, email),
  CONSTRAINT agent_account_id_id_key UNIQUE (account_id, id),
  CONSTRAINT agent_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account (id) ON DELETE CASCADE
);

CREATE TABLE public.customer (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  account_id bigint NOT NULL,
  email text NOT NULL,
  name text,
  CONSTRAINT customer_pkey PRIMARY KEY (id),
  CONSTRAINT customer_account_id_email_key UNIQUE (account_id, email),
  CONSTRAINT customer_account_id_id_key UNIQUE (account_id, id),
  CONSTRAINT customer_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account (id) ON DELETE CASCADE
);

CREATE TABLE public.tag (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  account_id bigint NOT NULL,
  label text NOT NULL,
  CONSTRAINT tag_pkey PRIMARY KEY (id),
  CONSTRAINT tag_account_id_label_key UNIQUE (account_id, label),
  CONSTRAINT tag_account_id_id_key UNIQUE (account_id, id),
  CONSTRAINT tag_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account (id) ON DELETE CASCADE
);

CREATE TABLE public.ticket (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  account_id bigint NOT NULL,
  customer_id bigint NOT NULL,
  assignee_id bigint,
  subject text NOT NULL,
  status public.ticket_status NOT NULL DEFAULT 'new',
  priority smallint NOT NULL DEFAULT 2,
  opened_at timestamptz NOT NULL DEFAULT now(),
  solved_at timestamptz,
  CONSTRAINT ticket_pkey PRIMARY KEY (id),
  CONSTRAINT ticket_account_id_id_key UNIQUE (account_id, id),
  CONSTRAINT ticket_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account (id) ON DELETE CASCADE,
  CONSTRAINT ticket_customer_id_fkey FOREIGN KEY (account_id, customer_id) REFERENCES public.customer (account_id, id) ON DELETE RESTRICT,
  CONSTRAINT ticket_assignee_id_fkey FOREIGN KEY (account_id, assignee_id) REFERENCES public.agent (account_id, id) ON DELETE SET NULL (assignee_id)
);

CREATE TABLE public.message (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  account_id bigint NOT NULL,
  ticket_id bigint NOT NULL,
  author_kind public.message_author_kind NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT message_pkey PRIMARY KEY (id, ticket_id),
  CONSTRAINT message_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account (id) ON DELETE CASCADE,
  CONSTRAINT message_ticket_id_fkey FOREIGN KEY (account_id, ticket_id) REFERENCES public.ticket (account_id, id) ON DELETE CASCADE
) PARTITION BY HASH (ticket_id);

CREATE TABLE public.message_p0 PARTITION OF public.message FOR VALUES WITH (MODULUS 16, REMAINDER 0);

CREATE TABLE public.message_p1 PARTITION OF public.message FOR VALUES WITH (MODULUS 16, REMAINDER 1);

CREATE TABLE public.message_p2 PARTITION OF public.message FOR VALUES WITH (MODULUS 16, REMAINDER 2);

CREATE TABLE public.message_p3 PARTITION OF public.message FOR VALUES WITH (MODULUS 16, REMAINDER 3);

CREATE TABLE public.message_p4 PARTITION OF public.message FOR VALUES WITH (MODULUS 16, REMAINDER 4);

CREATE TABLE public.message_p5 PARTITION OF public.message FOR VALUES WITH (MODULUS 16, REMAINDER 5);

CREATE TABLE public.message_p6 PARTITION OF public.message FOR VALUES WITH (MODULUS 16, REMAINDER 6);

CREATE TABLE public.message_p7 PARTITION OF public.message FOR VALUES WITH (MODULUS 16, REMAINDER 7);

CREATE TABLE public.message_p8 PARTITION OF public.message FOR VALUES WITH (MODULUS 16, REMAINDER 8);

CREATE TABLE public.message_p9 PARTITION OF public.message FOR VALUES WITH (MODULUS 16, REMAINDER 9);

CREATE TABLE public.message_p10 PARTITION OF public.message FOR VALUES WITH (MODULUS 16, REMAINDER 10);

CREATE TABLE public.message_p11 PARTITION OF public.message FOR VALUES WITH (MODULUS 16, REMAINDER 11);

CREATE TABLE public.message_p12 PARTITION OF public.message FOR VALUES WITH (MODULUS 16, REMAINDER 12);

CREATE TABLE public.message_p13 PARTITION OF public.message FOR VALUES WITH (MODULUS 16, REMAINDER 13);

CREATE TABLE public.message_p14 PARTITION OF public.message FOR VALUES WITH (MODULUS 16, REMAINDER 14);

CREATE TABLE public.message_p15 PARTITION OF public.message FOR VALUES WITH (MODULUS 16, REMAINDER 15);

CREATE TABLE public.ticket_tags (
  account_id bigint NOT NULL,
  ticket_id bigint NOT NULL,
  tag_id bigint NOT NULL,
  CONSTRAINT ticket_tags_pkey PRIMARY KEY (ticket_id, tag_id),
  CONSTRAINT ticket_tags_ticket_id_fkey FOREIGN KEY (account_id, ticket_id) REFERENCES public.ticket (account_id, id) ON DELETE CASCADE,
  CONSTRAINT ticket_tags_tag_id_fkey FOREIGN KEY (account_id, tag_id) REFERENCES public.tag (account_id, id) ON DELETE CASCADE
);

CREATE INDEX ticket_account_id_opened_at_partial_idx ON public.ticket (account_id, opened_at) WHERE status IN ('new', 'open', 'pending');

CREATE INDEX ticket_account_id_assignee_id_opened_at_status_idx ON public.ticket (account_id, assignee_id, opened_at DESC, status);

CREATE INDEX message_account_id_ticket_id_created_at_idx ON public.message (account_id, ticket_id, created_at);

CREATE INDEX ticket_account_id_customer_id_opened_at_idx ON public.ticket (account_id, customer_id, opened_at DESC);

CREATE INDEX ticket_tags_account_id_tag_id_idx ON public.ticket_tags (account_id, tag_id);

ALTER TABLE public.account ENABLE ROW LEVEL SECURITY;

ALTER TABLE public.account FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON public.account USING (id = nullif(current_setting('app.tenant_id', true), '')::bigint) WITH CHECK (id = nullif(current_setting('app.tenant_id', true), '')::bigint);

ALTER TABLE public.agent ENABLE ROW LEVEL SECURITY;

ALTER TABLE public.agent FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON public.agent USING (account_id = nullif(current_setting('app.tenant_id', true), '')::bigint) WITH CHECK (account_id = nullif(current_setting('app.tenant_id', true), '')::bigint);

ALTER TABLE public.customer ENABLE ROW LEVEL SECURITY;

ALTER TABLE public.customer FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON public.customer USING (account_id = nullif(current_setting('app.tenant_id', true), '')::bigint) WITH CHECK (account_id = nullif(current_setting('app.tenant_id', true), '')::bigint);

ALTER TABLE public.tag ENABLE ROW LEVEL SECURITY;

ALTER TABLE public.tag FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON public.tag USING (account_id = nullif(current_setting('app.tenant_id', true), '')::bigint) WITH CHECK (account_id = nullif(current_setting('app.tenant_id', true), '')::bigint);

ALTER TABLE public.ticket ENABLE ROW LEVEL SECURITY;

ALTER TABLE public.ticket FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON public.ticket USING (account_id = nullif(current_setting('app.tenant_id', true), '')::bigint) WITH CHECK (account_id = nullif(current_setting('app.tenant_id', true), '')::bigint);

ALTER TABLE public.message ENABLE ROW LEVEL SECURITY;

ALTER TABLE public.message FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON public.message USING (account_id = nullif(current_setting('app.tenant_id', true), '')::bigint) WITH CHECK (account_id = nullif(current_setting('app.tenant_id', true), '')::bigint);

ALTER TABLE public.ticket_tags ENABLE ROW LEVEL SECURITY;

ALTER TABLE public.ticket_tags FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON public.ticket_tags USING (account_id = nullif(current_setting('app.tenant_id', true), '')::bigint) WITH CHECK (account_id = nullif(current_setting('app.tenant_id', true), '')::bigint);
