-- Whether a stored commit holds every change's body and each may reach any node of the
-- federation: such a commit is sent as stored, without being decoded for the receiver. Commits
-- stored before this column say 0 and are decoded as before.
ALTER TABLE commit_log ADD COLUMN travels_whole INTEGER NOT NULL DEFAULT 0 CHECK (travels_whole IN (0, 1));
