import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { migrate } from "./migrate.js";

export type Db = Database.Database;

/**
 * Opens (creating if needed) the one SQLite file that holds the registry, the journal and, with
 * the embedded store, the readings. WAL with synchronous=FULL: a committed transaction survives
 * `kill -9` and power loss, which is what lets the journal acknowledge a reading.
 */
export function openDatabase(dataDir: string, file = "coldtrail.sqlite"): Db {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, file));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return db;
}
