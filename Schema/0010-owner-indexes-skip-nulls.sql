-- A channel or role belongs to an agency or to a person, never both, so each of its two owner
-- columns is NULL in most rows. The indexes by owner leave those rows out: a lookup by owner never
-- asks for NULL, and every channel and role written costs one index entry fewer.
DROP INDEX channel_agency;
DROP INDEX channel_person;
DROP INDEX designation_agency;
DROP INDEX designation_person;
CREATE INDEX channel_agency ON channel(agency_id) WHERE agency_id IS NOT NULL;
CREATE INDEX channel_person ON channel(person_id) WHERE person_id IS NOT NULL;
CREATE INDEX designation_agency ON designation(agency_id) WHERE agency_id IS NOT NULL;
CREATE INDEX designation_person ON designation(person_id) WHERE person_id IS NOT NULL;
