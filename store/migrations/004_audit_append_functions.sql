-- Least privilege (README "The store's roles"): the application role owns nothing it could rewrite.
-- The audit log and its checkpoints belong to the owner role; the application reads them and adds to
-- them only through these two functions, which run as their owner (SECURITY DEFINER) with a fixed
-- search_path, so that no object the caller creates can stand in for ours.

CREATE FUNCTION audit_append(p_at timestamptz, p_kind text, p_request_id text, p_target text, p_actor text, p_channel text, p_data jsonb, p_prev_hash text, p_hash text)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  head text;
  appended bigint;
BEGIN
  -- The append lock of store/audit.ts: the head cannot move between the caller's read and this insert.
  PERFORM pg_advisory_xact_lock(1398210562);
  SELECT hash INTO head FROM public.audit_log ORDER BY seq DESC LIMIT 1;
  IF p_prev_hash IS DISTINCT FROM coalesce(head, 'sha256:' || repeat('0', 64)) THEN
    RAISE EXCEPTION 'audit_append: the entry chains to %, but the newest entry is %', p_prev_hash, coalesce(head, 'none')
      USING ERRCODE = 'serialization_failure', HINT = 'Read the newest entry under the append lock and hash the entry again.';
  END IF;
  INSERT INTO public.audit_log (at, kind, request_id, target, actor, channel, data, prev_hash, hash)
    VALUES (p_at, p_kind, p_request_id, p_target, p_actor, p_channel, p_data, p_prev_hash, p_hash)
    RETURNING seq INTO appended;
  RETURN appended;
END
$$;
REVOKE ALL ON FUNCTION audit_append(timestamptz, text, text, text, text, text, jsonb, text, text) FROM PUBLIC;

-- One refusal for every append-only table, naming the table.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'Audit entries are never changed or removed; append a new entry that corrects the record instead.';
END
$$;

-- Signed checkpoints of the chain head (store/audit-checkpoints.ts): entry count, head hash and the hash
-- of every entry since the previous checkpoint, signed with an Ed25519 key that is not in the store.
-- A copy of the newest goes to a second log outside the store (the audit-anchor workflow).
CREATE TABLE audit_checkpoints (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  from_entries  bigint NOT NULL CHECK (from_entries >= 0),
  entries       bigint NOT NULL CHECK (entries > from_entries),
  head_hash     text NOT NULL,
  hashes        jsonb NOT NULL,
  at            timestamptz NOT NULL,
  key_id        text NOT NULL,
  signature     text NOT NULL
);

CREATE TRIGGER audit_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE FUNCTION audit_checkpoint_append(p_from_entries bigint, p_entries bigint, p_head_hash text, p_hashes jsonb, p_at timestamptz, p_key_id text, p_signature text)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  covered bigint;
  appended bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(1398210563);
  SELECT coalesce(max(entries), 0) INTO covered FROM public.audit_checkpoints;
  IF p_from_entries <> covered THEN
    RAISE EXCEPTION 'audit_checkpoint_append: the checkpoint starts after entry %, but the newest checkpoint covers % entries', p_from_entries, covered
      USING ERRCODE = 'serialization_failure', HINT = 'Read the newest checkpoint under the checkpoint lock and build the checkpoint again.';
  END IF;
  INSERT INTO public.audit_checkpoints (from_entries, entries, head_hash, hashes, at, key_id, signature)
    VALUES (p_from_entries, p_entries, p_head_hash, p_hashes, p_at, p_key_id, p_signature)
    RETURNING id INTO appended;
  RETURN appended;
END
$$;
REVOKE ALL ON FUNCTION audit_checkpoint_append(bigint, bigint, text, jsonb, timestamptz, text, text) FROM PUBLIC;
