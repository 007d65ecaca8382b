-- A commit's changes are stored with the commit, in the compact form of docs/PROTOCOL.md
-- ("Compact commits"), instead of one row a change: about a quarter of the bytes, and one row a
-- commit to write when a node receives a directory. The migration's second step, in Swift, moves
-- the rows of change_log here and drops that table.
ALTER TABLE commit_log ADD COLUMN changes BLOB NOT NULL DEFAULT x'00';
