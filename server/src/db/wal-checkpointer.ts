import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Db } from "./open.js";

/** How often the checkpointer copies committed WAL frames into the database file. */
const CHECKPOINT_EVERY_MS = 500;
/** SQLite's own default, restored if the checkpointer stops working. */
const AUTOCHECKPOINT_PAGES = 1000;

/**
 * The worker's code (plain JS, so it runs the same under node, tsx and vitest): its own connection
 * to the file, a PASSIVE checkpoint every few milliseconds. PASSIVE never waits for and never
 * blocks the writer; synchronous=FULL makes it sync the database file before the WAL is reused.
 */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma("synchronous = FULL");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const timer = setInterval(() => checkpoint.get(), workerData.everyMs);
parentPort.on("message", () => {
  clearInterval(timer);
  checkpoint.get();
  db.close();
  parentPort.close();
});
`;

export interface WalCheckpointer {
  stop(): Promise<void>;
}

/**
 * Moves WAL checkpoints off the event loop. By default SQLite checkpoints inside the commit that
 * grows the WAL past 1000 pages: that commit (a journal group, so the PUBACKs of every message in
 * it) then also writes those pages into the database file and fsyncs it, a stall of tens of
 * milliseconds to seconds on a busy disk. Here the committing connection never checkpoints; a
 * worker thread does, on its own connection, in parallel. Durability is unchanged: a commit is
 * durable once its WAL frames are synced (synchronous=FULL), whoever checkpoints them later. If the
 * worker fails, the connection checkpoints for itself again.
 */
export function startWalCheckpointer(db: Db, log: { warn(o: object, msg: string): void }): WalCheckpointer {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve("better-sqlite3"),
      file: db.name,
      everyMs: CHECKPOINT_EVERY_MS,
    },
  });
  db.pragma("wal_autocheckpoint = 0");
  let stopped = false;
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  worker.once("error", (e) => {
    if (!db.open) return;
    db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    log.warn({ err: e.message }, "db.checkpointer_failed");
  });
  worker.unref();
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      // Unref'd while running so it never holds the process open; held while we wait for it, or a
      // process with nothing else left would quit mid-await (exit 13) before the worker is done.
      worker.ref();
      worker.postMessage("stop");
      await exited;
      if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    },
  };
}
