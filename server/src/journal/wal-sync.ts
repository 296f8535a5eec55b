import { closeSync, fdatasync, openSync } from "node:fs";
import type { Db } from "../db/open.js";

/**
 * Makes committed WAL frames durable off the event loop: `fdatasync` of the connection's `-wal`
 * file on libuv's thread pool. A transaction committed with synchronous=NORMAL is in the WAL
 * (it survives `kill -9`: the kernel holds its pages) but not yet on disk; once a sync issued
 * after its commit has completed, it survives power loss too, exactly as a synchronous=FULL
 * commit would, which syncs the same file inside the commit and blocks the thread meanwhile.
 * The sync goes through a descriptor of our own: the kernel flushes the file, whoever wrote it.
 *
 * The `-wal` file keeps its inode while the connection is open (SQLite rewrites it in place after
 * a checkpoint and deletes it only when the last connection closes), so it is opened once, at the
 * first sync, and closed by `close()`. SQLite holds no locks on it, so closing our descriptor
 * cannot drop one of SQLite's POSIX locks (those are on the database and `-shm` files).
 */
export interface WalSync {
  /** Resolves once every transaction committed before the call is on disk. */
  sync(done: (err: Error | null) => void): void;
  close(): void;
}

/**
 * A WalSync for `db`, or null when its commits are not in a WAL file of their own (an in-memory
 * database or another journal mode): the caller then commits with synchronous=FULL as before.
 */
export function createWalSync(db: Db): WalSync | null {
  if (db.memory) return null;
  if (db.pragma("journal_mode", { simple: true }) !== "wal") return null;
  const path = `${db.name}-wal`;
  let fd: number | null = null;
  return {
    sync(done) {
      try {
        fd ??= openSync(path, "r");
      } catch (e) {
        done(new Error(`cannot open the SQLite WAL file ${path} to sync it: ${(e as Error).message}`));
        return;
      }
      fdatasync(fd, (err) => done(err ? new Error(`fdatasync of ${path} failed: ${err.message}`) : null));
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}
