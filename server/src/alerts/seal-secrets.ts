import type { SqlClient } from "../db/sql/client.js";
import { isSealed, SEALED_PREFIX, type SecretBox } from "./secret-box.js";

export type SealOutcome = { ok: true; sealed: number } | { ok: false; reason: string };

/**
 * At start: seals the channel secrets stored before sealing existed (or by an older instance), and
 * checks that this server's key opens the ones already sealed, so a wrong or missing key stops
 * start-up instead of failing each delivery. Each row is sealed with a conditional UPDATE, so two
 * instances starting at once seal it once.
 */
export async function sealChannelSecrets(sql: SqlClient, box: SecretBox): Promise<SealOutcome> {
  const rows = await sql.query<{ id: string; secret: string }>(
    "SELECT id, secret FROM alert_channel WHERE secret IS NOT NULL ORDER BY id",
  );
  const unopened = rows.filter((r) => {
    if (!isSealed(r.secret)) return false;
    try {
      box.open(r.secret);
      return false;
    } catch {
      return true;
    }
  });
  if (unopened.length > 0) {
    return {
      ok: false,
      reason: `${unopened.length} of ${rows.length} alert channel secrets (e.g. channel ${unopened[0]?.id}) were sealed with another key than this server's: set COLDTRAIL_SECRET_KEY to the key the other instances use (or restore the data folder's secret-key file)`,
    };
  }
  let sealed = 0;
  for (const r of rows) {
    if (isSealed(r.secret)) continue;
    const done = await sql.run(
      `UPDATE alert_channel SET secret = ? WHERE id = ? AND secret = ? AND secret NOT LIKE '${SEALED_PREFIX}%'`,
      [box.seal(r.secret), r.id, r.secret],
    );
    sealed += done.changes;
  }
  return { ok: true, sealed };
}
