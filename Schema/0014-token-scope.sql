-- A token limited to directory reads: the API serves it no note, evaluation or link.
ALTER TABLE api_token ADD COLUMN directory_only INTEGER NOT NULL DEFAULT 0 CHECK (directory_only IN (0, 1));
