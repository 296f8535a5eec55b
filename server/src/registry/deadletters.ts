import type { SqlClient, SqlValue } from "../db/sql/client.js";
import { type Caller, ownedBy } from "./caller.js";

/** How many bytes of a refused payload are kept for inspection. */
const HEAD_BYTES = 256;
/** Dead letters kept; older ones are pruned so a misbehaving device cannot fill the disk. */
const KEEP = 10_000;
/**
 * Refused readings of one message that keep their full message; the rest keep index, values and
 * reason (the reason says what was wrong), so 500 refused readings stay a few tens of kB.
 */
const EXPLAINED_READINGS = 20;
/**
 * Characters of a client id kept: the embedded broker refuses longer ones at CONNECT (issue #14),
 * and any other source is cut here, so a 65,000-character id cannot make the list megabytes.
 */
const CLIENT_ID_CHARS = 128;

/** One reading of an accepted message that was refused alone, as the device sent it. */
export interface RefusedReadingLetter {
  index: number;
  ts?: number | boolean | string | null;
  temp_c?: number | boolean | string | null;
  reason: string;
  message?: string;
}

export interface DeadLetter {
  id: number;
  at: string;
  probeId: string | null;
  clientId: string | null;
  topic: string;
  reason: string;
  message: string;
  payloadHead: string;
  payloadHeadHex: string;
  payloadBytes: number;
  /** The readings refused alone when the rest of the message was stored; empty when refused whole. */
  refusedReadings: RefusedReadingLetter[];
}

/**
 * Messages and readings ingest refused, kept for inspection, on the SQL client (SQLite or
 * PostgreSQL). `add` is called on the ingest path and does not wait: rows are written in order
 * behind it, a failed write is logged (a dead letter is a diagnostic, never a reading), and `list`
 * and `settled` wait for the rows added before them.
 */
export function createDeadLetters(sql: SqlClient, opts: { onWriteFailed?: (error: unknown) => void } = {}) {
  let sincePrune = 0;
  let writing: Promise<void> = Promise.resolve();
  const queued: unknown[][] = [];

  async function drain(): Promise<void> {
    while (queued.length) {
      const rows = queued.splice(0);
      let prune = false;
      try {
        await sql.transaction(async (tx) => {
          for (const row of rows)
            await tx.run(
              "INSERT INTO deadletter (at_ms, probe_id, client_id, topic, reason, message, payload_head, payload_bytes, refused_readings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
              row as SqlValue[],
            );
          sincePrune += rows.length;
          if (sincePrune >= 1000) {
            sincePrune = 0;
            prune = true;
            await tx.run("DELETE FROM deadletter WHERE id <= (SELECT max(id) FROM deadletter) - ?", [KEEP]);
          }
        });
      } catch (error) {
        if (prune) sincePrune = 1000;
        opts.onWriteFailed?.(error);
      }
    }
  }

  return {
    add(d: {
      atMs: number;
      probeId: string | null;
      clientId: string | null;
      topic: string;
      reason: string;
      message: string;
      payload: Uint8Array;
      refusedReadings?: readonly RefusedReadingLetter[];
    }): void {
      const refused = d.refusedReadings?.length
        ? JSON.stringify(
            d.refusedReadings.map((r, i) => {
              if (i < EXPLAINED_READINGS) return r;
              const { message: _, ...rest } = r;
              return rest;
            }),
          )
        : null;
      queued.push([
        d.atMs,
        d.probeId,
        d.clientId === null ? null : d.clientId.slice(0, CLIENT_ID_CHARS),
        d.topic.slice(0, 256),
        d.reason,
        d.message.slice(0, 1000),
        Buffer.from(d.payload.subarray(0, HEAD_BYTES)),
        d.payload.byteLength,
        refused,
      ]);
      // One write at a time, in order; rows added meanwhile go in the next transaction together.
      if (queued.length === 1) writing = writing.then(drain);
    },

    /** Resolves once every dead letter added so far is written (or its failure reported). */
    settled(): Promise<void> {
      return writing;
    },

    async list(
      caller: Caller,
      q: {
        probeId?: string | undefined;
        reason?: string | undefined;
        limit: number;
        beforeId?: number | undefined;
      },
    ): Promise<DeadLetter[]> {
      await writing;
      const where: string[] = [];
      const params: (string | number)[] = [];
      // Dead letters of unregistered probes have no owner: only admins see them.
      if (caller.role !== "admin") {
        const own = ownedBy(caller);
        where.push(`probe_id IN (SELECT id FROM probe WHERE ${own.sql})`);
        params.push(...own.params);
      }
      if (q.probeId) {
        where.push("probe_id = ?");
        params.push(q.probeId);
      }
      if (q.reason) {
        where.push("reason = ?");
        params.push(q.reason);
      }
      if (q.beforeId) {
        where.push("id < ?");
        params.push(q.beforeId);
      }
      const text = `SELECT * FROM deadletter ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
      return (await sql.query(text, [...params, q.limit])).map((r) => {
        const head = r.payload_head as Buffer;
        return {
          id: r.id as number,
          at: new Date(r.at_ms as number).toISOString(),
          probeId: r.probe_id as string | null,
          clientId: r.client_id as string | null,
          topic: r.topic as string,
          reason: r.reason as string,
          message: r.message as string,
          payloadHead: head.toString("utf8"),
          payloadHeadHex: head.toString("hex"),
          payloadBytes: r.payload_bytes as number,
          refusedReadings: r.refused_readings
            ? (JSON.parse(r.refused_readings as string) as RefusedReadingLetter[])
            : [],
        };
      });
    },
  };
}
export type DeadLetters = ReturnType<typeof createDeadLetters>;
