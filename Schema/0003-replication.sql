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

-- Changes of applied commits that the merge refused, with the reason. A change refused because its
-- record's creation had not arrived is tried again when the record is created.
CREATE TABLE refusal (
  commit_position INTEGER NOT NULL REFERENCES commit_log(position),
  change_index INTEGER NOT NULL,
  entity TEXT NOT NULL,
  record_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (commit_position, change_index)
) STRICT, WITHOUT ROWID;
CREATE INDEX refusal_record ON refusal(record_id);

-- Records of one node may refer to records of another that have not arrived yet, so references
-- between records are no longer foreign keys. Each record also keeps its claim: the stamp of the
-- change that created it; the earliest claim wins stewardship. Stamps gain the commit's epoch,
-- which was 1 for every commit so far; claims are filled in from the log when the node opens
-- (task 'claims').
CREATE TABLE agency_new (
  local_id INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  steward TEXT NOT NULL,
  created_at TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  stamps TEXT NOT NULL,
  claim TEXT NOT NULL DEFAULT '',
  -- field group "name"
  name TEXT NOT NULL CHECK (name <> ''),
  native_name TEXT,
  acronym TEXT,
  -- field group "placement"
  kind TEXT NOT NULL,
  country TEXT NOT NULL REFERENCES country(code),
  parent_id TEXT,
  subdivision TEXT REFERENCES subdivision(code),
  -- field group "address"
  address TEXT,
  website TEXT
) STRICT;
INSERT INTO agency_new (local_id, id, steward, created_at, modified_at, deleted, stamps, name, native_name, acronym, kind, country, parent_id, subdivision, address, website)
  SELECT local_id, id, steward, created_at, modified_at, deleted, stamps, name, native_name, acronym, kind, country, parent_id, subdivision, address, website FROM agency;
DROP TABLE agency;
ALTER TABLE agency_new RENAME TO agency;
CREATE INDEX agency_country ON agency(country);
CREATE INDEX agency_parent ON agency(parent_id);
UPDATE agency SET stamps = (SELECT json_group_object(key, value || '-00000001') FROM json_each(agency.stamps));

CREATE TABLE person_new (
  local_id INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  steward TEXT NOT NULL,
  created_at TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  stamps TEXT NOT NULL,
  claim TEXT NOT NULL DEFAULT '',
  -- field group "name"
  given_name TEXT,
  family_name TEXT,
  native_name TEXT,
  -- field group "role"
  agency_id TEXT NOT NULL,
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
INSERT INTO person_new (local_id, id, steward, created_at, modified_at, deleted, stamps, given_name, family_name, native_name, agency_id, position, rank, languages, time_zone, verified_at, verified_by)
  SELECT local_id, id, steward, created_at, modified_at, deleted, stamps, given_name, family_name, native_name, agency_id, position, rank, languages, time_zone, verified_at, verified_by FROM person;
DROP TABLE person;
ALTER TABLE person_new RENAME TO person;
CREATE INDEX person_agency ON person(agency_id);
UPDATE person SET stamps = (SELECT json_group_object(key, value || '-00000001') FROM json_each(person.stamps));

CREATE TABLE channel_new (
  local_id INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  steward TEXT NOT NULL,
  created_at TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  stamps TEXT NOT NULL,
  claim TEXT NOT NULL DEFAULT '',
  agency_id TEXT,
  person_id TEXT,
  kind TEXT NOT NULL,
  value TEXT NOT NULL CHECK (value <> ''),
  label TEXT,
  preference INTEGER NOT NULL DEFAULT 1,
  is_24x7 INTEGER NOT NULL DEFAULT 0 CHECK (is_24x7 IN (0, 1)),
  hours TEXT,
  marking TEXT NOT NULL DEFAULT 'TLP:GREEN',
  CHECK ((agency_id IS NULL) <> (person_id IS NULL))
) STRICT;
INSERT INTO channel_new (local_id, id, steward, created_at, modified_at, deleted, stamps, agency_id, person_id, kind, value, label, preference, is_24x7, hours, marking)
  SELECT local_id, id, steward, created_at, modified_at, deleted, stamps, agency_id, person_id, kind, value, label, preference, is_24x7, hours, marking FROM channel;
DROP TABLE channel;
ALTER TABLE channel_new RENAME TO channel;
CREATE INDEX channel_agency ON channel(agency_id);
CREATE INDEX channel_person ON channel(person_id);
UPDATE channel SET stamps = (SELECT json_group_object(key, value || '-00000001') FROM json_each(channel.stamps));

CREATE TABLE designation_new (
  local_id INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  steward TEXT NOT NULL,
  created_at TEXT NOT NULL,
  modified_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  stamps TEXT NOT NULL,
  claim TEXT NOT NULL DEFAULT '',
  agency_id TEXT,
  person_id TEXT,
  crime_area TEXT,
  function TEXT NOT NULL,
  valid_from TEXT,
  valid_to TEXT,
  legal_basis TEXT,
  CHECK ((agency_id IS NULL) <> (person_id IS NULL))
) STRICT;
INSERT INTO designation_new (local_id, id, steward, created_at, modified_at, deleted, stamps, agency_id, person_id, crime_area, function, valid_from, valid_to, legal_basis)
  SELECT local_id, id, steward, created_at, modified_at, deleted, stamps, agency_id, person_id, crime_area, function, valid_from, valid_to, legal_basis FROM designation;
DROP TABLE designation;
ALTER TABLE designation_new RENAME TO designation;
CREATE INDEX designation_agency ON designation(agency_id);
CREATE INDEX designation_person ON designation(person_id);
UPDATE designation SET stamps = (SELECT json_group_object(key, value || '-00000001') FROM json_each(designation.stamps));

-- Where the database was last opened (machine and file), to notice a copy or a restore.
ALTER TABLE node ADD COLUMN instance TEXT;

-- Work the store does once, in Swift, when it next opens the database.
CREATE TABLE pending_task (name TEXT PRIMARY KEY NOT NULL) STRICT;
INSERT INTO pending_task (name) VALUES ('claims');
