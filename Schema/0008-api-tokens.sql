-- Tokens that local tools present to the node's JSON API: local, never replicated. Only a hash of
-- each token is kept; the token itself is shown once, when it is made.
CREATE TABLE api_token (
  name TEXT PRIMARY KEY NOT NULL CHECK (name <> ''),
  hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
  created_at TEXT NOT NULL,
  expires_at TEXT,
  revoked_at TEXT
) STRICT;
