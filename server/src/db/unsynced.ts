import type { Db } from "./open.js";

const inWal = new WeakMap<Db, boolean>();

/**
 * Runs `write` (its own transaction) with synchronous=NORMAL, the connection's other writes
 * staying synchronous=FULL: the commit goes to the WAL without an fsync on the event loop. In WAL
 * mode NORMAL never corrupts the file; it only lets a power cut (not a crash: `kill -9` keeps it)
 * lose the last commits until the next sync of the WAL, which any FULL commit, a journal group
 * (journal/wal-sync.ts) or a checkpoint does within moments. For writes that may be lost that way:
 * state kept again from memory or derived again from durable data. Outside WAL mode, or inside an
 * enclosing transaction (whose commit decides), `write` runs as it is.
 */
export function writeUnsynced<T>(db: Db, write: () => T): T {
  let wal = inWal.get(db);
  if (wal === undefined) {
    wal = !db.memory && db.pragma("journal_mode", { simple: true }) === "wal";
    inWal.set(db, wal);
  }
  if (!wal || db.inTransaction) return write();
  db.exec("PRAGMA synchronous = NORMAL");
  try {
    return write();
  } finally {
    db.exec("PRAGMA synchronous = FULL");
  }
}
