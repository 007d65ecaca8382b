-- How syncing with each peer went: local, never replicated. Background sync waits until
-- next_attempt_at after failures, and the wait survives a restart.
CREATE TABLE peer_sync (
  node_id TEXT PRIMARY KEY NOT NULL CHECK (length(node_id) = 32),
  last_attempt_at TEXT,
  last_success_at TEXT,
  last_error TEXT,
  last_error_at TEXT,
  failures INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  -- The peer's version vector (JSON) as it last said it: what it holds that this node may lack.
  their_vector TEXT
) STRICT;
