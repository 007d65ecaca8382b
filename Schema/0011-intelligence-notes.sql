-- Intelligence notes (docs/PROTOCOL.md, "note", "note_evaluation", "note_link", "sharing_group").
-- A node holds the notes it wrote and those it is entitled to; drafts never leave their node.
-- Lists are JSON arrays of text, as elsewhere.
CREATE TABLE note (
  local_id INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  steward TEXT NOT NULL,
  created_at TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  stamps TEXT NOT NULL,
  claim TEXT NOT NULL DEFAULT '',
  -- field group "note"
  title TEXT NOT NULL,
  language TEXT NOT NULL,
  body TEXT NOT NULL,
  countries TEXT NOT NULL,
  agency_ids TEXT NOT NULL,
  person_ids TEXT NOT NULL,
  crime_areas TEXT NOT NULL,
  refers_to TEXT,
  subjects TEXT NOT NULL,
  nature TEXT NOT NULL,
  review_on TEXT,
  retain_until TEXT,
  status TEXT NOT NULL,
  reliability TEXT,
  credibility TEXT,
  marking TEXT,
  distribution TEXT NOT NULL,
  derived_from TEXT
) STRICT;

CREATE TABLE note_evaluation (
  local_id INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  steward TEXT NOT NULL,
  created_at TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  stamps TEXT NOT NULL,
  claim TEXT NOT NULL DEFAULT '',
  -- field group "evaluation"
  note_id TEXT NOT NULL,
  reliability TEXT NOT NULL,
  credibility TEXT NOT NULL,
  comment TEXT
) STRICT;
CREATE INDEX note_evaluation_note ON note_evaluation(note_id);

CREATE TABLE note_link (
  local_id INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  steward TEXT NOT NULL,
  created_at TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  stamps TEXT NOT NULL,
  claim TEXT NOT NULL DEFAULT '',
  -- field group "link"
  note_id TEXT NOT NULL,
  relation TEXT NOT NULL,
  other_id TEXT NOT NULL,
  comment TEXT
) STRICT;
CREATE INDEX note_link_note ON note_link(note_id);
CREATE INDEX note_link_other ON note_link(other_id);

CREATE TABLE sharing_group (
  local_id INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  steward TEXT NOT NULL,
  created_at TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  stamps TEXT NOT NULL,
  claim TEXT NOT NULL DEFAULT '',
  -- field group "group"
  name TEXT NOT NULL,
  purpose TEXT,
  members TEXT NOT NULL
) STRICT;
