-- Search over the notes a node holds, derived from the note table after every write and receive:
-- local, never replicated. Text columns hold folded lower-case ASCII as the directory's index does;
-- links holds the names of the countries, agencies, contacts and crime areas a note concerns;
-- facets holds filter tokens ('xccmd' for country MD, 'xrelb' for reliability B or better).
-- rowid = note.local_id; searches read it newest first, by rowid.
CREATE VIRTUAL TABLE note_search USING fts5(
  title, body, links, facets,
  tokenize = 'unicode61 remove_diacritics 2',
  -- Prefix indexes of 3 to 6 characters: a word's start such as "trans" reads one list of notes,
  -- not the lists of every word it starts, which in note bodies are many.
  prefix = '3 4 5 6'
);

-- What each note concerns, for the notes shown on a country's, an agency's or a contact's page:
-- 'country:MD', 'agency:<id>', 'person:<id>'.
CREATE TABLE note_subject (
  subject TEXT NOT NULL,
  note_id TEXT NOT NULL,
  PRIMARY KEY (subject, note_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX note_subject_note ON note_subject(note_id);
