import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

/**
 * The data directory holds webhook secrets, password hashes, the admin token and donors' batch
 * history: owner only (issue #14). Created 0700, and an existing one (from an older version, or
 * made by hand) tightened at every start, as are the files coldtrail keeps in it.
 */
export const DATA_DIR_MODE = 0o700;
export const DATA_FILE_MODE = 0o600;
/** The SQLite database with its WAL and shared-memory files, and the bootstrap admin token. */
const PRIVATE_FILES = [
  "coldtrail.sqlite",
  "coldtrail.sqlite-wal",
  "coldtrail.sqlite-shm",
  "admin-token",
  "vapid.json",
  "secret-key",
];

export function secureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
  chmodSync(dir, DATA_DIR_MODE);
}

/** After the database is open (so its WAL files exist): every file above 0600. */
export function secureDataFiles(dir: string): void {
  for (const name of PRIVATE_FILES) {
    const file = join(dir, name);
    if (existsSync(file)) chmodSync(file, DATA_FILE_MODE);
  }
}
