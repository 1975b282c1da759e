-- Email decision links: one row per signed token, claimed once (single use) by an atomic UPDATE.
CREATE TABLE approval_tokens (
  jti          text PRIMARY KEY,
  request_id   text NOT NULL,
  question_id  text NOT NULL,
  person       text NOT NULL,
  expires_at   timestamptz NOT NULL,
  issued_at    timestamptz NOT NULL DEFAULT now(),
  used_at      timestamptz,
  used_option  text
);
CREATE INDEX approval_tokens_request ON approval_tokens (request_id, question_id);

-- The Slack root message of each request (updated phase by phase; details go in its thread).
CREATE TABLE slack_threads (
  request_id  text PRIMARY KEY,
  channel     text NOT NULL,
  ts          text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- The Slack message of each question, updated to show who chose what.
CREATE TABLE slack_question_messages (
  request_id   text NOT NULL,
  question_id  text NOT NULL,
  channel      text NOT NULL,
  ts           text NOT NULL,
  PRIMARY KEY (request_id, question_id)
);

-- Mail caught by the local SMTP capture of the embedded default, shown at /inbox.
CREATE TABLE captured_mail (
  id           bigserial PRIMARY KEY,
  received_at  timestamptz NOT NULL DEFAULT now(),
  mail_from    text NOT NULL,
  rcpt_to      text[] NOT NULL,
  subject      text NOT NULL,
  text_body    text NOT NULL,
  html_body    text
);

-- What the notify activity already delivered, so that a retried activity does not send it twice.
CREATE TABLE notification_deliveries (
  key           text PRIMARY KEY,
  delivered_at  timestamptz NOT NULL DEFAULT now()
);
