import type Database from "better-sqlite3";
import { MIGRATIONS } from "./migrations.js";

/**
 * Applies the migrations the file has not seen yet, each in its own transaction, tracked by
 * SQLite's `user_version`. Migrations are append-only: never edit one that has shipped.
 */
export function migrate(db: Database.Database): number {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `database schema version ${current} is newer than this coldtrail (${MIGRATIONS.length}): upgrade coldtrail or restore a matching backup`,
    );
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    const statements = MIGRATIONS[v] as readonly string[];
    db.transaction(() => {
      for (const sql of statements) db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return MIGRATIONS.length;
}
