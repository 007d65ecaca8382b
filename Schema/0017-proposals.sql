-- Proposals (docs/PROTOCOL.md, "proposal", "proposal_decision"): an edit of a directory record by
-- a node that is not its steward, sent to the steward alone, and the steward's decision, sent to
-- the proposer alone. `change` is the proposed change's canonical bytes, base64.
CREATE TABLE proposal (
  local_id INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  steward TEXT NOT NULL,
  created_at TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  stamps TEXT NOT NULL,
  claim TEXT NOT NULL DEFAULT '',
  -- field group "proposal"
  entity TEXT NOT NULL,
  record_id TEXT NOT NULL,
  change TEXT NOT NULL,
  comment TEXT
) STRICT;
CREATE INDEX proposal_record ON proposal(record_id);

CREATE TABLE proposal_decision (
  local_id INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  steward TEXT NOT NULL,
  created_at TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  stamps TEXT NOT NULL,
  claim TEXT NOT NULL DEFAULT '',
  -- field group "decision"
  proposal_id TEXT NOT NULL,
  verdict TEXT NOT NULL,
  reason TEXT
) STRICT;
CREATE INDEX proposal_decision_proposal ON proposal_decision(proposal_id);
