import type { SqlClient, SqlQueries } from "../db/sql/client.js";
import { conflict, notFound } from "../errors.js";
import { recordAudit } from "./audit.js";
import { type Caller, ownedBy } from "./caller.js";
import { newId } from "./ids.js";
import { type RegistryIndex, toProbe } from "./registry-index.js";
import { announceChange } from "./registry-notify.js";
import { hashSecret, newSecret } from "./secrets.js";

export interface Probe {
  id: string;
  ownerId: string;
  name: string | null;
  calibrationOffsetC: number;
  expectedIntervalMs: number;
  /** False when the probe was registered without `intervalS`: the interval is learned from its readings. */
  intervalDeclared: boolean;
  batteryPct: number | null;
  batteryMv: number | null;
  rssi: number | null;
  status: string | null;
  fw: string | null;
  lastSeenMs: number | null;
  createdMs: number;
  /** A BLE sensor's MAC, when the probe is one seen through a household gateway. */
  bleMac: string | null;
}

export interface Attachment {
  probeId: string;
  unitId: string;
  fromMs: number;
  toMs: number | null;
}

/** What ingest needs to know about a probe, kept in memory. */
export interface ProbeAuth {
  id: string;
  secretHash: string;
}

export interface ProbeLiveState {
  lastSeenMs?: number;
  batteryPct?: number;
  batteryMv?: number;
  rssi?: number;
  status?: string;
  fw?: string | null;
}

const INSERT_SQL = `INSERT INTO probe (id, owner_id, name, secret_hash, calibration_offset_c, expected_interval_ms, interval_declared, created_ms, ble_mac, ble_bindkey)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`;
const OPEN_ATTACHMENT_SQL = "SELECT * FROM probe_attachment WHERE probe_id = ? AND to_ms IS NULL";
const CLOSE_ATTACHMENT_SQL = "UPDATE probe_attachment SET to_ms = ? WHERE probe_id = ? AND to_ms IS NULL";
const ADD_ATTACHMENT_SQL =
  "INSERT INTO probe_attachment (probe_id, unit_id, from_ms, to_ms) VALUES (?, ?, ?, NULL)";
const LATER_ATTACHMENT_SQL =
  "SELECT count(*) AS n FROM probe_attachment WHERE probe_id = ? AND (from_ms >= ? OR (to_ms IS NOT NULL AND to_ms > ?))";
const CLOSED_AFTER_SQL =
  "SELECT count(*) AS n FROM probe_attachment WHERE probe_id = ? AND to_ms IS NOT NULL AND to_ms > ?";
const MOVE_START_SQL = "UPDATE probe_attachment SET from_ms = ? WHERE id = ?";
const UPDATE_LIVE_SQL = `UPDATE probe SET last_seen_ms = coalesce(?, last_seen_ms), battery_pct = coalesce(?, battery_pct),
       battery_mv = coalesce(?, battery_mv), rssi = coalesce(?, rssi), status = coalesce(?, status),
       fw = coalesce(?, fw) WHERE id = ?`;

const count = async (q: SqlQueries, sql: string, params: (string | number)[]): Promise<number> =>
  Number((await q.get<{ n: number | string }>(sql, params))?.n ?? 0);

/**
 * Probes, their attachments to units, calibration and secrets on the SQL client (either backend).
 * Callers' reads go to the database (`ownedBy` decides who sees what); the per-message reads
 * (secret hash, calibration, attachments, ids) come from the in-memory index, which every write
 * here updates once it has committed.
 */
export function createProbes(sql: SqlClient, index: RegistryIndex) {
  const calibrationListeners: ((probeId: string) => void)[] = [];

  /**
   * On PostgreSQL, the probe's row is locked for the rest of the transaction, so two instances
   * changing its attachments one after the other each see the other's result. (SQLite has one
   * writer at a time.)
   */
  async function lockProbe(tx: SqlQueries, probeId: string): Promise<void> {
    if (sql.backend === "postgres") await tx.query("SELECT id FROM probe WHERE id = ? FOR UPDATE", [probeId]);
  }

  async function unitExists(q: SqlQueries, caller: Caller, unitId: string): Promise<boolean> {
    const own = ownedBy(caller);
    return (
      (await q.get(`SELECT 1 AS one FROM unit WHERE id = ? AND ${own.sql}`, [unitId, ...own.params])) !==
      undefined
    );
  }

  /** Attaches (or detaches, `unitId` null) inside `tx`; throws a catalogue error when history forbids it. */
  async function attachIn(
    tx: SqlQueries,
    caller: Caller,
    probeId: string,
    unitId: string | null,
    atMs: number,
    nowMs: number,
  ): Promise<void> {
    if (unitId !== null && !(await unitExists(tx, caller, unitId))) throw notFound("unit", unitId);
    await lockProbe(tx, probeId);
    const current = await tx.get(OPEN_ATTACHMENT_SQL, [probeId]);
    // "It has been in this freezer since yesterday": the current attachment starts earlier, as long
    // as that does not overlap an earlier attachment.
    if (current && (current.unit_id as string) === unitId && atMs < (current.from_ms as number)) {
      if (await count(tx, CLOSED_AFTER_SQL, [probeId, atMs])) {
        throw conflict(
          `probe "${probeId}" was attached elsewhere after ${new Date(atMs).toISOString()}; choose a later \`at\``,
        );
      }
      await tx.run(MOVE_START_SQL, [atMs, current.id as number]);
      await recordAudit(tx, nowMs, caller.accountId, "probe.attachment_backdated", "probe", probeId, {
        unitId,
        from: new Date(atMs).toISOString(),
        previousFrom: new Date(current.from_ms as number).toISOString(),
      });
      await announceChange(tx, sql.backend, "probe", probeId);
      return;
    }
    // Back-dating is allowed, but not to before the start of the current attachment or into a
    // closed one: history would then say the probe was in two places at once.
    if (await count(tx, LATER_ATTACHMENT_SQL, [probeId, atMs, atMs])) {
      throw conflict(
        `probe "${probeId}" already has an attachment at or after ${new Date(atMs).toISOString()}` +
          (current
            ? ` (attached to unit "${current.unit_id as string}" since ${new Date(current.from_ms as number).toISOString()})`
            : "") +
          "; choose a later `at`",
      );
    }
    if (current && (current.unit_id as string) === unitId) return;
    if (current) await tx.run(CLOSE_ATTACHMENT_SQL, [atMs, probeId]);
    if (unitId !== null) await tx.run(ADD_ATTACHMENT_SQL, [probeId, unitId, atMs]);
    await recordAudit(
      tx,
      nowMs,
      caller.accountId,
      unitId ? "probe.attached" : "probe.detached",
      "probe",
      probeId,
      {
        unitId,
        at: new Date(atMs).toISOString(),
        previousUnitId: current ? (current.unit_id as string) : null,
      },
    );
    await announceChange(tx, sql.backend, "probe", probeId);
  }

  return {
    async create(
      caller: Caller,
      input: {
        id?: string | undefined;
        name?: string | undefined;
        unitId?: string | undefined;
        intervalS?: number | undefined;
        bleMac?: string | undefined;
        bleBindkey?: string | undefined;
      },
      nowMs: number,
    ): Promise<{ probe: Probe; secret: string }> {
      const id = input.id ?? newId("p");
      const secret = newSecret();
      await sql.transaction(async (tx) => {
        if (await tx.get("SELECT id FROM probe WHERE id = ?", [id])) {
          throw conflict(`probe "${id}" is already registered; choose another id`);
        }
        const macOwner = input.bleMac
          ? ((await tx.get<{ id: string }>("SELECT id FROM probe WHERE ble_mac = ?", [input.bleMac]))?.id ??
            undefined)
          : undefined;
        if (macOwner)
          throw conflict(`BLE sensor ${input.bleMac} is already registered as probe "${macOwner}"`);
        if (input.unitId !== undefined && !(await unitExists(tx, caller, input.unitId))) {
          throw notFound("unit", input.unitId);
        }
        const inserted = await tx.run(INSERT_SQL, [
          id,
          caller.accountId,
          input.name ?? null,
          hashSecret(secret),
          0,
          (input.intervalS ?? 60) * 1000,
          input.intervalS === undefined ? 0 : 1,
          nowMs,
          input.bleMac ?? null,
          input.bleBindkey?.toLowerCase() ?? null,
        ]);
        // Another instance registered the same id or MAC between the checks and the insert.
        if (inserted.changes === 0) {
          throw conflict(`probe "${id}" (or its BLE sensor) is already registered; choose another id`);
        }
        await recordAudit(tx, nowMs, caller.accountId, "probe.registered", "probe", id, {
          name: input.name ?? null,
        });
        await announceChange(tx, sql.backend, "probe", id);
        if (input.unitId !== undefined) await attachIn(tx, caller, id, input.unitId, nowMs, nowMs);
      });
      await index.reloadProbe(sql, id);
      return { probe: await this.get(caller, id), secret };
    },
    /** A new secret for a probe (lost, leaked, or never given to the broker); the old one stops working. */
    async rotateSecret(caller: Caller, id: string, nowMs: number): Promise<{ secret: string }> {
      await this.get(caller, id);
      const secret = newSecret();
      await sql.transaction(async (tx) => {
        await tx.run("UPDATE probe SET secret_hash = ? WHERE id = ?", [hashSecret(secret), id]);
        await recordAudit(tx, nowMs, caller.accountId, "probe.secret_rotated", "probe", id);
        await announceChange(tx, sql.backend, "probe", id);
      });
      await index.reloadProbe(sql, id);
      return { secret };
    },
    /** A probe the caller may see (live fields as last written), or a not-found error naming it. */
    async get(caller: Caller, id: string): Promise<Probe> {
      const own = ownedBy(caller);
      const r = await sql.get(`SELECT * FROM probe WHERE id = ? AND ${own.sql}`, [id, ...own.params]);
      if (!r) throw notFound("probe", id);
      return toProbe(r);
    },
    /** A probe by id for internal lookups (no caller: never behind an API route), or null; from memory. */
    byId(id: string): Probe | null {
      return index.probe(id);
    },
    async list(caller: Caller): Promise<Probe[]> {
      const own = ownedBy(caller);
      return (
        await sql.query(`SELECT * FROM probe WHERE ${own.sql} ORDER BY created_ms, id`, own.params)
      ).map(toProbe);
    },
    /** The calibration offset added to a probe's raw readings before any rule (0 for an unknown probe). */
    calibrationOf(probeId: string): number {
      return index.probe(probeId)?.calibrationOffsetC ?? 0;
    },
    /**
     * Corrects a probe's calibration offset. Readings are stored as the probe sent them, so the
     * correction applies to its whole history: listeners recompute what was derived from it.
     */
    async setCalibration(caller: Caller, id: string, offsetC: number, nowMs: number): Promise<Probe> {
      const before = await this.get(caller, id);
      await sql.transaction(async (tx) => {
        await tx.run("UPDATE probe SET calibration_offset_c = ? WHERE id = ?", [offsetC, id]);
        await recordAudit(tx, nowMs, caller.accountId, "probe.calibrated", "probe", id, {
          offsetC,
          previousOffsetC: before.calibrationOffsetC,
        });
        await announceChange(tx, sql.backend, "probe", id);
      });
      await index.reloadProbe(sql, id);
      for (const l of calibrationListeners) l(id);
      return this.get(caller, id);
    },
    /** Called after a probe's calibration offset changed (by this instance, or another one on PostgreSQL). */
    onCalibrationChanged(listener: (probeId: string) => void): void {
      calibrationListeners.push(listener);
    },
    /** Tells the calibration listeners; for the index's reloads of other instances' changes. */
    calibrationChanged(probeId: string): void {
      for (const l of calibrationListeners) l(probeId);
    },
    /** For MQTT authentication only; never exposed over the API. From memory. */
    auth(id: string): ProbeAuth | null {
      const p = index.probe(id);
      return p ? { id: p.id, secretHash: p.secretHash } : null;
    },
    /** Every registered probe id (e.g. to check each has a broker login). */
    ids(): string[] {
      return index.probeIds();
    },
    async attach(
      caller: Caller,
      probeId: string,
      unitId: string | null,
      atMs: number,
      nowMs: number,
    ): Promise<void> {
      await this.get(caller, probeId);
      await sql.transaction((tx) => attachIn(tx, caller, probeId, unitId, atMs, nowMs));
      await index.reloadProbe(sql, probeId);
    },
    currentAttachment(probeId: string): Attachment | null {
      const a = index.openAttachment(probeId);
      return a ? { probeId: a.probeId, unitId: a.unitId, fromMs: a.fromMs, toMs: a.toMs } : null;
    },
    /** Every probe's open attachment, from memory (the offline detector's tick). */
    currentAttachments(): Attachment[] {
      return index.currentAttachments();
    },
    attachmentsOfProbe(probeId: string): Attachment[] {
      return index.attachmentsOfProbe(probeId);
    },
    /** Attachments of a unit that overlap [fromMs, toMs). */
    attachmentsOfUnit(unitId: string, fromMs: number, toMs: number): Attachment[] {
      return index.attachmentsOfUnit(unitId, fromMs, toMs);
    },
    /**
     * Live fields (battery, last seen, status) of some probes in one transaction. They are kept
     * again from the next messages, so they are not announced to other instances.
     */
    async saveLive(updates: ReadonlyMap<string, ProbeLiveState>): Promise<void> {
      await sql.transaction(async (tx) => {
        for (const [id, s] of updates) {
          await tx.run(UPDATE_LIVE_SQL, [
            s.lastSeenMs ?? null,
            s.batteryPct ?? null,
            s.batteryMv ?? null,
            s.rssi ?? null,
            s.status ?? null,
            s.fw ?? null,
            id,
          ]);
        }
      });
    },
  };
}
export type Probes = ReturnType<typeof createProbes>;
