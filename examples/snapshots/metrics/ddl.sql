CREATE TABLE public.device (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  serial text NOT NULL,
  model text NOT NULL,
  installed_at timestamptz NOT NULL,
  labels jsonb NOT NULL DEFAULT '{}'::jsonb,
  CONSTRAINT device_pkey PRIMARY KEY (id),
  CONSTRAINT device_serial_key UNIQUE (serial)
);

CREATE TABLE public.metric (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  name text NOT NULL,
  unit text NOT NULL,
  CONSTRAINT metric_pkey PRIMARY KEY (id),
  CONSTRAINT metric_name_key UNIQUE (name)
);

CREATE TABLE public.sample (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  device_id bigint NOT NULL,
  metric_id bigint NOT NULL,
  recorded_at timestamptz NOT NULL,
  value double precision NOT NULL,
  CONSTRAINT sample_pkey PRIMARY KEY (id, recorded_at),
  CONSTRAINT sample_device_id_fkey FOREIGN KEY (device_id) REFERENCES public.device (id) ON DELETE CASCADE,
  CONSTRAINT sample_metric_id_fkey FOREIGN KEY (metric_id) REFERENCES public.metric (id) ON DELETE RESTRICT
) PARTITION BY RANGE (recorded_at);

CREATE TABLE public.sample_20261127 PARTITION OF public.sample FOR VALUES FROM ('2026-11-27') TO ('2026-11-28');

CREATE TABLE public.sample_20261128 PARTITION OF public.sample FOR VALUES FROM ('2026-11-28') TO ('2026-11-29');

CREATE TABLE public.sample_20261129 PARTITION OF public.sample FOR VALUES FROM ('2026-11-29') TO ('2026-11-30');

CREATE TABLE public.sample_default PARTITION OF public.sample DEFAULT;

CREATE TABLE public.alert (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  device_id bigint NOT NULL,
  metric_id bigint NOT NULL,
  threshold double precision NOT NULL,
  raised_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  CONSTRAINT alert_pkey PRIMARY KEY (id),
  CONSTRAINT alert_device_id_fkey FOREIGN KEY (device_id) REFERENCES public.device (id) ON DELETE CASCADE,
  CONSTRAINT alert_metric_id_fkey FOREIGN KEY (metric_id) REFERENCES public.metric (id) ON DELETE RESTRICT
);

CREATE INDEX sample_device_id_metric_id_recorded_at_idx ON public.sample (device_id, metric_id, recorded_at) INCLUDE (value);

CREATE INDEX alert_raised_at_partial_idx ON public.alert (raised_at DESC) WHERE resolved_at IS NULL;

CREATE INDEX sample_metric_id_idx ON public.sample (metric_id);

CREATE INDEX alert_device_id_idx ON public.alert (device_id);

CREATE INDEX alert_metric_id_idx ON public.alert (metric_id);
