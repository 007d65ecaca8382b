-- Failed sign-ins to the web page, by the name typed and the network they came from (an IPv4
-- address, or an IPv6 /64). A name is locked from that network only, so that guesses from
-- elsewhere cannot keep an officer out from their own office; a name without an account is
-- counted and locked the same way, so that a lock does not tell which names exist.

CREATE TABLE sign_in_lock (
  name TEXT NOT NULL,
  network TEXT NOT NULL,
  -- Attempts since the last success, each counted before its password is checked, so that
  -- attempts sent at the same moment cannot pass the limit.
  attempts INTEGER NOT NULL,
  locked_until TEXT,
  last_attempt_at TEXT NOT NULL,
  PRIMARY KEY (name, network)
) STRICT, WITHOUT ROWID;

CREATE INDEX sign_in_lock_last_attempt ON sign_in_lock(last_attempt_at);

-- The networks each name signed in from in the last 90 days: while failed attempts at a name come
-- from many networks at once, only these may still try it.
CREATE TABLE sign_in_network (
  name TEXT NOT NULL REFERENCES account(name) ON DELETE CASCADE,
  network TEXT NOT NULL,
  signed_in_at TEXT NOT NULL,
  PRIMARY KEY (name, network)
) STRICT, WITHOUT ROWID;

-- Replaced by sign_in_lock.
ALTER TABLE account DROP COLUMN failed_logins;
ALTER TABLE account DROP COLUMN locked_until;
