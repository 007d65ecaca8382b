-- The directory: the local node, its signed log, the replicated records and the search index.
--
-- Replicated records share these columns:
--   id          UUID in lower case; never changes
--   steward     node id (32 hex digits) of the node that owns the record
--   created_at, modified_at   UTC, 'YYYY-MM-DD HH:MM:SS.SSS', from the commits' clock times
--   deleted     1 for a tombstone
--   stamps      JSON object: field group -> '<hlc as 16 hex digits>-<origin node id>', the last
--               write per field group; the strings sort in merge order
-- Tables are written only by the store, which appends a signed commit in the same transaction.

-- The node this folder belongs to: exactly one row.
CREATE TABLE node (
  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 32),
  name TEXT NOT NULL CHECK (name <> ''),
  agency TEXT NOT NULL CHECK (agency <> ''),
  epoch INTEGER NOT NULL DEFAULT 1 CHECK (epoch >= 1),
  created_at TEXT NOT NULL
) STRICT;

-- Ed25519 public keys of nodes whose commits this node verifies, this node's own included.
CREATE TABLE node_key (
  key_id TEXT PRIMARY KEY NOT NULL CHECK (length(key_id) = 32),
  node_id TEXT NOT NULL CHECK (length(node_id) = 32),
  public_key BLOB NOT NULL CHECK (length(public_key) = 32),
  valid_from TEXT NOT NULL,
  revoked_at TEXT
) STRICT;
CREATE INDEX node_key_node ON node_key(node_id);

-- Signed commits, local and received, in arrival order.
CREATE TABLE commit_log (
  position INTEGER PRIMARY KEY,
  origin TEXT NOT NULL CHECK (length(origin) = 32),
  epoch INTEGER NOT NULL CHECK (epoch >= 1),
  sequence INTEGER NOT NULL CHECK (sequence >= 1),
  hlc INTEGER NOT NULL,
  header BLOB NOT NULL CHECK (length(header) = 121),
  header_hash BLOB NOT NULL UNIQUE CHECK (length(header_hash) = 32),
  signature BLOB NOT NULL CHECK (length(signature) = 64),
  change_count INTEGER NOT NULL,
  received_at TEXT NOT NULL,
  UNIQUE (origin, epoch, sequence)
) STRICT;
CREATE INDEX commit_log_hlc ON commit_log(hlc);

-- The changes of each commit. body is NULL when the change was withheld or purged.
CREATE TABLE change_log (
  commit_position INTEGER NOT NULL REFERENCES commit_log(position),
  change_index INTEGER NOT NULL CHECK (change_index >= 0),
  hash BLOB NOT NULL CHECK (length(hash) = 32),
  body BLOB,
  PRIMARY KEY (commit_position, change_index)
) STRICT, WITHOUT ROWID;

CREATE TABLE agency (
  local_id INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  steward TEXT NOT NULL,
  created_at TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  stamps TEXT NOT NULL,
  -- field group "name"
  name TEXT NOT NULL CHECK (name <> ''),
  native_name TEXT,
  acronym TEXT,
  -- field group "placement"
  kind TEXT NOT NULL,
  country TEXT NOT NULL REFERENCES country(code),
  parent_id TEXT REFERENCES agency(id),
  subdivision TEXT REFERENCES subdivision(code),
  -- field group "address"
  address TEXT,
  website TEXT
) STRICT;
CREATE INDEX agency_country ON agency(country);
CREATE INDEX agency_parent ON agency(parent_id);

CREATE TABLE person (
  local_id INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  steward TEXT NOT NULL,
  created_at TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  stamps TEXT NOT NULL,
  -- field group "name"
  given_name TEXT,
  family_name TEXT,
  native_name TEXT,
  -- field group "role"
  agency_id TEXT NOT NULL REFERENCES agency(id),
  position TEXT,
  rank TEXT,
  -- field group "languages": BCP 47 tags in preference order (JSON array), IANA time zone
  languages TEXT NOT NULL DEFAULT '[]',
  time_zone TEXT,
  -- field group "verified"
  verified_at TEXT,
  verified_by TEXT,
  CHECK (coalesce(given_name, family_name, native_name) IS NOT NULL)
) STRICT;
CREATE INDEX person_agency ON person(agency_id);

-- A way to reach an agency or a person; one field group: a channel wins or loses whole.
CREATE TABLE channel (
  local_id INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  steward TEXT NOT NULL,
  created_at TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  stamps TEXT NOT NULL,
  agency_id TEXT REFERENCES agency(id),
  person_id TEXT REFERENCES person(id),
  kind TEXT NOT NULL,
  value TEXT NOT NULL CHECK (value <> ''),
  label TEXT,
  preference INTEGER NOT NULL DEFAULT 1,
  is_24x7 INTEGER NOT NULL DEFAULT 0 CHECK (is_24x7 IN (0, 1)),
  hours TEXT,
  marking TEXT NOT NULL DEFAULT 'TLP:GREEN',
  CHECK ((agency_id IS NULL) <> (person_id IS NULL))
) STRICT;
CREATE INDEX channel_agency ON channel(agency_id);
CREATE INDEX channel_person ON channel(person_id);

-- A focal-point role of an agency or a person; one field group.
CREATE TABLE designation (
  local_id INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  steward TEXT NOT NULL,
  created_at TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  stamps TEXT NOT NULL,
  agency_id TEXT REFERENCES agency(id),
  person_id TEXT REFERENCES person(id),
  crime_area TEXT,
  function TEXT NOT NULL,
  valid_from TEXT,
  valid_to TEXT,
  legal_basis TEXT,
  CHECK ((agency_id IS NULL) <> (person_id IS NULL))
) STRICT;
CREATE INDEX designation_agency ON designation(agency_id);
CREATE INDEX designation_person ON designation(person_id);

-- Full-text search over persons and agencies. Text columns hold names folded to lower-case ASCII
-- (transliterated from any script); facets holds filter tokens such as 'xccmd' (country MD).
-- rowid = local_id * 2 for a person, local_id * 2 + 1 for an agency.
CREATE VIRTUAL TABLE search_index USING fts5(
  name, other, facets,
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '3'
);
-- Rank name matches above other text; facets never count.
INSERT INTO search_index (search_index, rank) VALUES ('rank', 'bm25(10.0, 2.0, 0.0)');
