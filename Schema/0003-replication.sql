-- Replication: trusted peers, commits waiting for their predecessors, fork evidence, changes
-- refused by the stewardship rule, and the claim that makes a node a record's steward.

-- Nodes this node trusts, from their signed identity cards. Their signing keys are in node_key.
CREATE TABLE peer (
  node_id TEXT PRIMARY KEY NOT NULL CHECK (length(node_id) = 32),
  name TEXT NOT NULL,
  agency TEXT NOT NULL,
  tls_pin TEXT NOT NULL CHECK (length(tls_pin) = 64),
  url TEXT,
  card BLOB NOT NULL,
  added_at TEXT NOT NULL,
  revoked_at TEXT,
  -- The version vector the peer last said it holds (JSON), from its bundles.
  known_vector TEXT
) STRICT;

-- Verified commits that cannot be applied yet: their predecessor is missing, or their clock is too
-- far ahead. `frame` is the commit as a bundle frame (docs/PROTOCOL.md).
CREATE TABLE held_commit (
  header_hash BLOB PRIMARY KEY NOT NULL CHECK (length(header_hash) = 32),
  origin TEXT NOT NULL CHECK (length(origin) = 32),
  epoch INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  frame BLOB NOT NULL,
  reason TEXT NOT NULL,
  received_at TEXT NOT NULL
) STRICT;
CREATE INDEX held_commit_position ON held_commit(origin, epoch, sequence);

-- Two validly signed, different commits with the same origin, epoch and sequence. The origin is
-- frozen: nothing more of it is applied.
CREATE TABLE fork (
  origin TEXT NOT NULL CHECK (length(origin) = 32),
  epoch INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  held_header BLOB NOT NULL,
  held_signature BLOB NOT NULL,
  other_header BLOB NOT NULL,
  other_signature BLOB NOT NULL,
  detected_at TEXT NOT NULL,
  PRIMARY KEY (origin, epoch, sequence, other_header)
) STRICT;

-- Changes of applied commits that the merge refused, with the reason; every node refuses the same.
CREATE TABLE refusal (
  commit_position INTEGER NOT NULL REFERENCES commit_log(position),
  change_index INTEGER NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (commit_position, change_index)
) STRICT, WITHOUT ROWID;

-- The stamp of the change that created the record: the earliest claim wins stewardship.
ALTER TABLE agency ADD COLUMN claim TEXT NOT NULL DEFAULT '';
ALTER TABLE person ADD COLUMN claim TEXT NOT NULL DEFAULT '';
ALTER TABLE channel ADD COLUMN claim TEXT NOT NULL DEFAULT '';
ALTER TABLE designation ADD COLUMN claim TEXT NOT NULL DEFAULT '';
UPDATE agency SET claim = (SELECT min(value) FROM json_each(stamps));
UPDATE person SET claim = (SELECT min(value) FROM json_each(stamps));
UPDATE channel SET claim = (SELECT min(value) FROM json_each(stamps));
UPDATE designation SET claim = (SELECT min(value) FROM json_each(stamps));

-- Where the database was last opened (machine and file), to notice a copy or a restore.
ALTER TABLE node ADD COLUMN instance TEXT;
