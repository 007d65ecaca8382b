-- Decisions on likely duplicates (docs/PROTOCOL.md, "duplicate_decision"): a replicated record
-- that says two contacts or two agencies are the same, or are not. A "same" decision written by
-- the steward of the first record retires it into the second.
CREATE TABLE duplicate_decision (
  local_id INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  steward TEXT NOT NULL,
  created_at TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  stamps TEXT NOT NULL,
  claim TEXT NOT NULL DEFAULT '',
  -- field group "decision"
  kind TEXT NOT NULL,
  record_id TEXT NOT NULL,
  other_id TEXT NOT NULL,
  verdict TEXT NOT NULL,
  note TEXT
) STRICT;
CREATE INDEX duplicate_decision_record ON duplicate_decision(record_id);
CREATE INDEX duplicate_decision_other ON duplicate_decision(other_id);

-- Which records are retired into which, derived from the decisions and the records' stewards
-- after every write and receive: local, never replicated, the same on every node that holds the
-- same records.
CREATE TABLE retired_record (
  id TEXT PRIMARY KEY NOT NULL,
  survivor TEXT NOT NULL
) STRICT, WITHOUT ROWID;
