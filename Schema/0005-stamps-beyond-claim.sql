-- A record's stamps column lists only the field groups whose stamp is not the claim's, and the
-- tombstone: a record is created with every field group, so the others were last written by the
-- creation. Most records are never edited, and their stamps column becomes `{}`. The digest still
-- spells every group's stamp (docs/PROTOCOL.md, "Digest").
UPDATE agency SET stamps = (SELECT json_group_object(key, value) FROM json_each(agency.stamps) WHERE key = '~deleted' OR value <> agency.claim);
UPDATE person SET stamps = (SELECT json_group_object(key, value) FROM json_each(person.stamps) WHERE key = '~deleted' OR value <> person.claim);
UPDATE channel SET stamps = (SELECT json_group_object(key, value) FROM json_each(channel.stamps) WHERE key = '~deleted' OR value <> channel.claim);
UPDATE designation SET stamps = (SELECT json_group_object(key, value) FROM json_each(designation.stamps) WHERE key = '~deleted' OR value <> designation.claim);
