-- Content-addressed artifacts: reports, DDL, ERDs, findings. Workflows carry only the digest.
CREATE TABLE artifacts (
  digest      text PRIMARY KEY CHECK (digest ~ '^sha256:[0-9a-f]{64}$'),
  kind        text NOT NULL,
  media_type  text NOT NULL,
  content     text NOT NULL,
  size_bytes  integer NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
