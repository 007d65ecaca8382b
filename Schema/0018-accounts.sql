-- Officers who use the node's web page, and their sessions. Local to this node: never in the
-- signed log, never synced.

CREATE TABLE account (
  name TEXT PRIMARY KEY NOT NULL CHECK (name <> '' AND length(name) <= 64),
  role TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
  -- bcrypt; NULL until the officer enrols through a one-time link.
  password_hash TEXT,
  -- SHA-256 of the one-time enrolment secret, and the moment it stops working.
  enrolment_hash BLOB UNIQUE CHECK (enrolment_hash IS NULL OR length(enrolment_hash) = 32),
  enrolment_expires_at TEXT,
  -- Failed logins since the last success; at the limit the account is locked until locked_until.
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until TEXT,
  disabled_at TEXT,
  created_at TEXT NOT NULL,
  last_login_at TEXT
) STRICT;

CREATE TABLE web_session (
  -- SHA-256 of the cookie's secret: a copy of the database opens no session.
  hash BLOB PRIMARY KEY NOT NULL CHECK (length(hash) = 32),
  account TEXT NOT NULL REFERENCES account(name) ON DELETE CASCADE,
  -- The session's token for forms (CSRF), sent in every form and compared on every POST.
  form_token TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
) STRICT;

CREATE INDEX web_session_account ON web_session(account);
