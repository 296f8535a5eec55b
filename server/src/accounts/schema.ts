/**
 * The accounts module's tables (issue 14), applied as one appended migration in
 * `db/migrations.ts`. The `account` table exists since the first migration (id, name, role,
 * created_ms, and the bootstrap 'admin' row); this adds what signing in needs.
 */
export const ACCOUNTS_DDL: readonly string[] = [
  `CREATE TABLE site (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     created_ms INTEGER NOT NULL)`,
  `CREATE UNIQUE INDEX site_name ON site (name COLLATE NOCASE)`,
  // Emails are stored trimmed and lower-cased, so the unique index makes them case-insensitive.
  // NULL for the bootstrap admin and for deleted (anonymised) accounts.
  "ALTER TABLE account ADD COLUMN email TEXT",
  "ALTER TABLE account ADD COLUMN site_id TEXT REFERENCES site(id)",
  // `$scrypt$ln=…,r=…,p=…$salt$hash`: the parameters travel with the hash so they can be raised.
  "ALTER TABLE account ADD COLUMN password_hash TEXT",
  "ALTER TABLE account ADD COLUMN disabled_ms INTEGER",
  // Set when the account was deleted: the row stays as an anonymous tombstone that still owns
  // the batches other people received (their passports keep working) and names audit actors.
  "ALTER TABLE account ADD COLUMN deleted_ms INTEGER",
  "CREATE UNIQUE INDEX account_email ON account (email) WHERE email IS NOT NULL",
  "CREATE INDEX account_site ON account (site_id)",
  // Invitation, session and API token secrets are 256 random bits stored as SHA-256 hex.
  `CREATE TABLE invitation (
     id TEXT PRIMARY KEY,
     account_id TEXT NOT NULL REFERENCES account(id),
     token_hash TEXT NOT NULL UNIQUE,
     invited_by TEXT NOT NULL,
     created_ms INTEGER NOT NULL,
     expires_ms INTEGER NOT NULL,
     accepted_ms INTEGER)`,
  "CREATE INDEX invitation_account ON invitation (account_id)",
  `CREATE TABLE session (
     id TEXT PRIMARY KEY,
     account_id TEXT NOT NULL REFERENCES account(id),
     token_hash TEXT NOT NULL UNIQUE,
     created_ms INTEGER NOT NULL,
     last_seen_ms INTEGER NOT NULL,
     expires_ms INTEGER NOT NULL)`,
  "CREATE INDEX session_account ON session (account_id)",
  `CREATE TABLE api_token (
     id TEXT PRIMARY KEY,
     account_id TEXT NOT NULL REFERENCES account(id),
     name TEXT NOT NULL,
     token_hash TEXT NOT NULL UNIQUE,
     created_ms INTEGER NOT NULL,
     last_used_ms INTEGER,
     revoked_ms INTEGER)`,
  "CREATE INDEX api_token_account ON api_token (account_id)",
];
