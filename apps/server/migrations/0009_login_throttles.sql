-- Sign-in throttling by account and client address together, and by address across
-- accounts (auth/login-throttle.ts). Before, six wrong passwords locked an account for
-- everyone for 15 minutes, while an unknown email never locked: anyone could lock a
-- colleague out, and tell real accounts from unknown ones. Keys are SHA-256 digests of
-- the subject (`account:<tenant>:<email>:<address>` or `address:<address>`), so unknown
-- emails are throttled exactly like known ones and no email or address is stored here.
CREATE TABLE login_throttles (
  key text PRIMARY KEY,
  failures integer NOT NULL DEFAULT 0,
  window_started_at timestamptz NOT NULL DEFAULT now(),
  blocked_until timestamptz
);
CREATE INDEX login_throttles_window_idx ON login_throttles (window_started_at);

-- Accounts are no longer locked as a whole.
UPDATE users SET locked_until = NULL WHERE locked_until IS NOT NULL;
