-- Purges of notes (docs/PROTOCOL.md, "note_purge"): a signed order to erase a note, its
-- evaluations and links on every node that holds them. `changes` lists the changes whose bodies
-- are erased, as origin:epoch:sequence:index (JSON array).
CREATE TABLE note_purge (
  local_id INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  steward TEXT NOT NULL,
  created_at TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  stamps TEXT NOT NULL,
  claim TEXT NOT NULL DEFAULT '',
  -- field group "purge"
  note_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  changes TEXT NOT NULL
) STRICT;
CREATE INDEX note_purge_note ON note_purge(note_id);

-- Where each change to a note, an evaluation or a link sits in the log, for a purge to find every
-- body it erases without reading the whole log. Local, derived from the log; directory changes,
-- which are never purged, are not listed.
CREATE TABLE record_change (
  record_id TEXT NOT NULL,
  commit_position INTEGER NOT NULL,
  change_index INTEGER NOT NULL,
  PRIMARY KEY (record_id, commit_position, change_index)
) STRICT, WITHOUT ROWID;

-- Whether a logged commit carries an intelligence body or a sealed copy: what sending it
-- discloses is then read from it for the audit log, and no other commit needs decoding.
ALTER TABLE commit_log ADD COLUMN holds_intelligence INTEGER NOT NULL DEFAULT 0 CHECK (holds_intelligence IN (0, 1));

-- Notes whose retention ends, for the sweep that purges them and for `note review-due`.
CREATE INDEX note_retain_until ON note(retain_until) WHERE retain_until IS NOT NULL;
CREATE INDEX note_review_on ON note(review_on) WHERE review_on IS NOT NULL;

-- Whether every page freed in this database was overwritten with zeros (secure_delete) since it
-- was made. A database made before keeps what earlier releases freed, so its first purge
-- rewrites it whole (VACUUM).
ALTER TABLE node ADD COLUMN free_space_erased INTEGER NOT NULL DEFAULT 0 CHECK (free_space_erased IN (0, 1));

-- Notes purged by their author, as this node found when it held them, or by this node itself,
-- with the author: their evaluations and links go too, and a later purge by another node is
-- refused. Local, derived from the log as it was received.
CREATE TABLE purged_note (
  note_id TEXT PRIMARY KEY NOT NULL,
  author TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- Set when the node's audit log (audit.sqlite) was made, so that a log removed is noticed; and
-- while pages a purge freed may still be in the write-ahead log, until they are cleared.
ALTER TABLE node ADD COLUMN audit_log INTEGER NOT NULL DEFAULT 0 CHECK (audit_log IN (0, 1));
ALTER TABLE node ADD COLUMN pages_to_clear INTEGER NOT NULL DEFAULT 0 CHECK (pages_to_clear IN (0, 1));
