-- A peer's X25519 encryption key from its node card (version 2), which bodies addressed to it
-- are sealed to (docs/PROTOCOL.md, "Sealed bodies"). NULL for a peer whose card is of version 1:
-- nothing can be sealed to it until its current card is added again.
ALTER TABLE peer ADD COLUMN encryption_key BLOB CHECK (encryption_key IS NULL OR length(encryption_key) = 32);
