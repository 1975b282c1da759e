CREATE TYPE public.member_role AS ENUM ('owner', 'admin', 'member', 'guest');

CREATE TYPE public.task_state AS ENUM ('open', 'in_progress', 'done');

CREATE TABLE public.organization (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  name text NOT NULL,
  slug text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT organization_pkey PRIMARY KEY (id),
  CONSTRAINT organization_slug_key UNIQUE (slug),
  CONSTRAINT organization_slug_check CHECK (slug ~ '^[a-z0-9-]+$')
);

CREATE TABLE public.plan (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  name text NOT NULL,
  seats integer NOT NULL,
  CONSTRAINT plan_pkey PRIMARY KEY (id),
  CONSTRAINT plan_name_key UNIQUE (name),
  CONSTRAINT plan_seats_check CHECK (seats > 0)
);

CREATE TABLE public.member (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  organization_id bigint NOT NULL,
  email text NOT NULL,
  display_name text NOT NULL,
  role public.member_role NOT NULL DEFAULT 'member',
  CONSTRAINT member_pkey PRIMARY KEY (id),
  CONSTRAINT member_organization_id_email_key UNIQUE (organization_id, email),
  CONSTRAINT member_organization_id_id_key UNIQUE (organization_id, id),
  CONSTRAINT member_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organization (id) ON DELETE CASCADE
);

CREATE TABLE public.project (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  organization_id bigint NOT NULL,
  name text NOT NULL,
  archived boolean NOT NULL DEFAULT FALSE,
  CONSTRAINT project_pkey PRIMARY KEY (id),
  CONSTRAINT project_organization_id_name_key UNIQUE (organization_id, name),
  CONSTRAINT project_organization_id_id_key UNIQUE (organization_id, id),
  CONSTRAINT project_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organization (id) ON DELETE CASCADE
);

CREATE TABLE public.task (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  organization_id bigint NOT NULL,
  project_id bigint NOT NULL,
  assignee_id bigint,
  title text NOT NULL,
  body text,
  state public.task_state NOT NULL DEFAULT 'open',
  due_on date,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT task_pkey PRIMARY KEY (id),
  CONSTRAINT task_organization_id_id_key UNIQUE (organization_id, id),
  CONSTRAINT task_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organization (id) ON DELETE CASCADE,
  CONSTRAINT task_project_id_fkey FOREIGN KEY (organization_id, project_id) REFERENCES public.project (organization_id, id) ON DELETE CASCADE,
  CONSTRAINT task_assignee_id_fkey FOREIGN KEY (organization_id, assignee_id) REFERENCES public.member (organization_id, id) ON DELETE SET NULL (assignee_id)
);

CREATE SEQUENCE public.comment_id_seq AS bigint;

CREATE TABLE public.comment (
  id bigint NOT NULL DEFAULT nextval('public.comment_id_seq'::regclass),
  organization_id bigint NOT NULL,
  task_id bigint NOT NULL,
  author_id bigint NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT comment_pkey PRIMARY KEY (id, task_id),
  CONSTRAINT comment_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organization (id) ON DELETE CASCADE,
  CONSTRAINT comment_task_id_fkey FOREIGN KEY (organization_id, task_id) REFERENCES public.task (organization_id, id) ON DELETE CASCADE,
  CONSTRAINT comment_author_id_fkey FOREIGN KEY (organization_id, author_id) REFERENCES public.member (organization_id, id) ON DELETE RESTRICT
) PARTITION BY HASH (task_id);

ALTER SEQUENCE public.comment_id_seq OWNED BY public.comment.id;

CREATE TABLE public.comment_p0 PARTITION OF public.comment FOR VALUES WITH (MODULUS 4, REMAINDER 0);

CREATE TABLE public.comment_p1 PARTITION OF public.comment FOR VALUES WITH (MODULUS 4, REMAINDER 1);

CREATE TABLE public.comment_p2 PARTITION OF public.comment FOR VALUES WITH (MODULUS 4, REMAINDER 2);

CREATE TABLE public.comment_p3 PARTITION OF public.comment FOR VALUES WITH (MODULUS 4, REMAINDER 3);

CREATE TABLE public.task_watchers (
  organization_id bigint NOT NULL,
  task_id bigint NOT NULL,
  member_id bigint NOT NULL,
  CONSTRAINT task_watchers_pkey PRIMARY KEY (task_id, member_id),
  CONSTRAINT task_watchers_task_id_fkey FOREIGN KEY (organization_id, task_id) REFERENCES public.task (organization_id, id) ON DELETE CASCADE,
  CONSTRAINT task_watchers_member_id_fkey FOREIGN KEY (organization_id, member_id) REFERENCES public.member (organization_id, id) ON DELETE CASCADE
);

CREATE INDEX task_organization_id_project_id_due_on_partial_idx ON public.task (organization_id, project_id, due_on) WHERE state <> 'done';

CREATE INDEX task_organization_id_assignee_id_updated_at_idx ON public.task (organization_id, assignee_id, updated_at DESC);

CREATE INDEX comment_task_id_created_at_idx ON public.comment (task_id, created_at);

CREATE INDEX task_organization_id_project_id_idx ON public.task (organization_id, project_id);

CREATE INDEX comment_organization_id_idx ON public.comment (organization_id);

CREATE INDEX comment_organization_id_author_id_idx ON public.comment (organization_id, author_id);

CREATE INDEX task_watchers_organization_id_member_id_idx ON public.task_watchers (organization_id, member_id);

ALTER TABLE public.organization ENABLE ROW LEVEL SECURITY;

ALTER TABLE public.organization FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON public.organization USING (id = nullif(current_setting('app.tenant_id', true), '')::bigint) WITH CHECK (id = nullif(current_setting('app.tenant_id', true), '')::bigint);

ALTER TABLE public.member ENABLE ROW LEVEL SECURITY;

ALTER TABLE public.member FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON public.member USING (organization_id = nullif(current_setting('app.tenant_id', true), '')::bigint) WITH CHECK (organization_id = nullif(current_setting('app.tenant_id', true), '')::bigint);

ALTER TABLE public.project ENABLE ROW LEVEL SECURITY;

ALTER TABLE public.project FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON public.project USING (organization_id = nullif(current_setting('app.tenant_id', true), '')::bigint) WITH CHECK (organization_id = nullif(current_setting('app.tenant_id', true), '')::bigint);

ALTER TABLE public.task ENABLE ROW LEVEL SECURITY;

ALTER TABLE public.task FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON public.task USING (organization_id = nullif(current_setting('app.tenant_id', true), '')::bigint) WITH CHECK (organization_id = nullif(current_setting('app.tenant_id', true), '')::bigint);

ALTER TABLE public.comment ENABLE ROW LEVEL SECURITY;

ALTER TABLE public.comment FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON public.comment USING (organization_id = nullif(current_setting('app.tenant_id', true), '')::bigint) WITH CHECK (organization_id = nullif(current_setting('app.tenant_id', true), '')::bigint);

ALTER TABLE public.task_watchers ENABLE ROW LEVEL SECURITY;

ALTER TABLE public.task_watchers FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON public.task_watchers USING (organization_id = nullif(current_setting('app.tenant_id', true), '')::bigint) WITH CHECK (organization_id = nullif(current_setting('app.tenant_id', true), '')::bigint);
