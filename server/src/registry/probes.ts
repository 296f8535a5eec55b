import type { Db } from "../db/open.js";
import { prepared } from "../db/statements.js";
import { writeUnsynced } from "../db/unsynced.js";
import { conflict, notFound } from "../errors.js";
import type { Audit } from "./audit.js";
import { type Caller, ownedBy } from "./caller.js";
import { newId } from "./ids.js";
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

function toProbe(r: Record<string, unknown>): Probe {
  return {
    id: r.id as string,
    ownerId: r.owner_id as string,
    name: (r.name as string | null) ?? null,
    calibrationOffsetC: r.calibration_offset_c as number,
    expectedIntervalMs: r.expected_interval_ms as number,
    intervalDeclared: r.interval_declared === 1,
    batteryPct: r.battery_pct as number | null,
    batteryMv: r.battery_mv as number | null,
    rssi: r.rssi as number | null,
    status: r.status as string | null,
    fw: r.fw as string | null,
    lastSeenMs: r.last_seen_ms as number | null,
    createdMs: r.created_ms as number,
    bleMac: (r.ble_mac as string | null) ?? null,
  };
}

const toAttachment = (r: Record<string, unknown>): Attachment => ({
  probeId: r.probe_id as string,
  unitId: r.unit_id as string,
  fromMs: r.from_ms as number,
  toMs: r.to_ms as number | null,
});

export interface ProbeLiveState {
  lastSeenMs?: number;
  batteryPct?: number;
  batteryMv?: number;
  rssi?: number;
  status?: string;
  fw?: string | null;
}

export function createProbes(db: Db, audit: Audit) {
  const insert = db.prepare(
    `INSERT INTO probe (id, owner_id, name, secret_hash, calibration_offset_c, expected_interval_ms, interval_declared, created_ms, ble_mac, ble_bindkey)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const authById = db.prepare("SELECT id, secret_hash FROM probe WHERE id = ?");
  const byMac = db.prepare("SELECT id FROM probe WHERE ble_mac = ?").pluck();
  const allIds = db.prepare("SELECT id FROM probe ORDER BY id").pluck();
  const setSecret = db.prepare("UPDATE probe SET secret_hash = ? WHERE id = ?");
  const byIdStmt = db.prepare("SELECT * FROM probe WHERE id = ?");
  const offsetById = db.prepare("SELECT calibration_offset_c FROM probe WHERE id = ?").pluck();
  const setOffset = db.prepare("UPDATE probe SET calibration_offset_c = ? WHERE id = ?");
  // Offsets are read for every reading the rules see; a correction replaces the cached value.
  const offsets = new Map<string, number>();
  const calibrationListeners: ((probeId: string) => void)[] = [];
  const openAttachment = db.prepare("SELECT * FROM probe_attachment WHERE probe_id = ? AND to_ms IS NULL");
  const closeAttachment = db.prepare(
    "UPDATE probe_attachment SET to_ms = ? WHERE probe_id = ? AND to_ms IS NULL",
  );
  const addAttachment = db.prepare(
    "INSERT INTO probe_attachment (probe_id, unit_id, from_ms, to_ms) VALUES (?, ?, ?, NULL)",
  );
  const laterAttachment = db
    .prepare(
      "SELECT count(*) FROM probe_attachment WHERE probe_id = ? AND (from_ms >= ? OR (to_ms IS NOT NULL AND to_ms > ?))",
    )
    .pluck();
  const closedAfter = db
    .prepare("SELECT count(*) FROM probe_attachment WHERE probe_id = ? AND to_ms IS NOT NULL AND to_ms > ?")
    .pluck();
  const moveStart = db.prepare("UPDATE probe_attachment SET from_ms = ? WHERE id = ?");
  const unitAttachments = db.prepare(
    "SELECT * FROM probe_attachment WHERE unit_id = ? AND from_ms < ? AND (to_ms IS NULL OR to_ms > ?) ORDER BY from_ms",
  );
  const probeAttachments = db.prepare("SELECT * FROM probe_attachment WHERE probe_id = ? ORDER BY from_ms");
  const updateLive = db.prepare(
    `UPDATE probe SET last_seen_ms = coalesce(?, last_seen_ms), battery_pct = coalesce(?, battery_pct),
       battery_mv = coalesce(?, battery_mv), rssi = coalesce(?, rssi), status = coalesce(?, status),
       fw = coalesce(?, fw) WHERE id = ?`,
  );
  const unitExists = (caller: Caller, unitId: string) => {
    const own = ownedBy(caller);
    return (
      prepared(db, `SELECT 1 FROM unit WHERE id = ? AND ${own.sql}`).get(unitId, ...own.params) !== undefined
    );
  };

  function attach(caller: Caller, probeId: string, unitId: string | null, atMs: number, nowMs: number): void {
    if (unitId !== null && !unitExists(caller, unitId)) throw notFound("unit", unitId);
    const current = openAttachment.get(probeId) as Record<string, unknown> | undefined;
    // "It has been in this freezer since yesterday": the current attachment starts earlier, as long
    // as that does not overlap an earlier attachment.
    if (current && (current.unit_id as string) === unitId && atMs < (current.from_ms as number)) {
      if (closedAfter.get(probeId, atMs) as number) {
        throw conflict(
          `probe "${probeId}" was attached elsewhere after ${new Date(atMs).toISOString()}; choose a later \`at\``,
        );
      }
      db.transaction(() => {
        moveStart.run(atMs, current.id as number);
        audit.record(nowMs, caller.accountId, "probe.attachment_backdated", "probe", probeId, {
          unitId,
          from: new Date(atMs).toISOString(),
          previousFrom: new Date(current.from_ms as number).toISOString(),
        });
      })();
      return;
    }
    // Back-dating is allowed, but not to before the start of the current attachment or into a
    // closed one: history would then say the probe was in two places at once.
    if (laterAttachment.get(probeId, atMs, atMs) as number) {
      const cur = current ? toAttachment(current) : null;
      throw conflict(
        `probe "${probeId}" already has an attachment at or after ${new Date(atMs).toISOString()}` +
          (cur ? ` (attached to unit "${cur.unitId}" since ${new Date(cur.fromMs).toISOString()})` : "") +
          "; choose a later `at`",
      );
    }
    if (current && (current.unit_id as string) === unitId) return;
    db.transaction(() => {
      if (current) closeAttachment.run(atMs, probeId);
      if (unitId !== null) addAttachment.run(probeId, unitId, atMs);
      audit.record(nowMs, caller.accountId, unitId ? "probe.attached" : "probe.detached", "probe", probeId, {
        unitId,
        at: new Date(atMs).toISOString(),
        previousUnitId: current ? (current.unit_id as string) : null,
      });
    })();
  }

  return {
    create(
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
    ): { probe: Probe; secret: string } {
      const id = input.id ?? newId("p");
      if (authById.get(id)) throw conflict(`probe "${id}" is already registered; choose another id`);
      const macOwner = input.bleMac ? (byMac.get(input.bleMac) as string | undefined) : undefined;
      if (macOwner) throw conflict(`BLE sensor ${input.bleMac} is already registered as probe "${macOwner}"`);
      if (input.unitId !== undefined && !unitExists(caller, input.unitId))
        throw notFound("unit", input.unitId);
      const secret = newSecret();
      db.transaction(() => {
        insert.run(
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
        );
        audit.record(nowMs, caller.accountId, "probe.registered", "probe", id, { name: input.name ?? null });
        if (input.unitId !== undefined) attach(caller, id, input.unitId, nowMs, nowMs);
      })();
      return { probe: this.get(caller, id), secret };
    },
    /** A new secret for a probe (lost, leaked, or never given to the broker); the old one stops working. */
    rotateSecret(caller: Caller, id: string, nowMs: number): { secret: string } {
      this.get(caller, id);
      const secret = newSecret();
      db.transaction(() => {
        setSecret.run(hashSecret(secret), id);
        audit.record(nowMs, caller.accountId, "probe.secret_rotated", "probe", id);
      })();
      return { secret };
    },
    get(caller: Caller, id: string): Probe {
      const own = ownedBy(caller);
      const r = prepared(db, `SELECT * FROM probe WHERE id = ? AND ${own.sql}`).get(id, ...own.params);
      if (!r) throw notFound("probe", id);
      return toProbe(r as Record<string, unknown>);
    },
    /** A probe by id for internal lookups (no caller: never behind an API route), or null. */
    byId(id: string): Probe | null {
      const r = byIdStmt.get(id) as Record<string, unknown> | undefined;
      return r ? toProbe(r) : null;
    },
    list(caller: Caller): Probe[] {
      const own = ownedBy(caller);
      return (
        prepared(db, `SELECT * FROM probe WHERE ${own.sql} ORDER BY created_ms, id`).all(
          ...own.params,
        ) as Record<string, unknown>[]
      ).map(toProbe);
    },
    /** The calibration offset added to a probe's raw readings before any rule (0 for an unknown probe). */
    calibrationOf(probeId: string): number {
      let o = offsets.get(probeId);
      if (o === undefined) {
        o = (offsetById.get(probeId) as number | undefined) ?? 0;
        offsets.set(probeId, o);
      }
      return o;
    },
    /**
     * Corrects a probe's calibration offset. Readings are stored as the probe sent them, so the
     * correction applies to its whole history: listeners recompute what was derived from it.
     */
    setCalibration(caller: Caller, id: string, offsetC: number, nowMs: number): Probe {
      const before = this.get(caller, id);
      db.transaction(() => {
        setOffset.run(offsetC, id);
        audit.record(nowMs, caller.accountId, "probe.calibrated", "probe", id, {
          offsetC,
          previousOffsetC: before.calibrationOffsetC,
        });
      })();
      offsets.set(id, offsetC);
      for (const l of calibrationListeners) l(id);
      return this.get(caller, id);
    },
    /** Called after a probe's calibration offset changed. */
    onCalibrationChanged(listener: (probeId: string) => void): void {
      calibrationListeners.push(listener);
    },
    /** For MQTT authentication only; never exposed over the API. */
    auth(id: string): ProbeAuth | null {
      const r = authById.get(id) as { id: string; secret_hash: string } | undefined;
      return r ? { id: r.id, secretHash: r.secret_hash } : null;
    },
    /** Every registered probe id (e.g. to check each has a broker login). */
    ids(): string[] {
      return allIds.all() as string[];
    },
    attach(caller: Caller, probeId: string, unitId: string | null, atMs: number, nowMs: number): void {
      this.get(caller, probeId);
      attach(caller, probeId, unitId, atMs, nowMs);
    },
    currentAttachment(probeId: string): Attachment | null {
      const r = openAttachment.get(probeId) as Record<string, unknown> | undefined;
      return r ? toAttachment(r) : null;
    },
    attachmentsOfProbe(probeId: string): Attachment[] {
      return (probeAttachments.all(probeId) as Record<string, unknown>[]).map(toAttachment);
    },
    /** Attachments of a unit that overlap [fromMs, toMs). */
    attachmentsOfUnit(unitId: string, fromMs: number, toMs: number): Attachment[] {
      return (unitAttachments.all(unitId, toMs, fromMs) as Record<string, unknown>[]).map(toAttachment);
    },
    /**
     * Unsynced (db/unsynced.ts): live fields are kept again from the next messages, and a write
     * every few seconds for thousands of probes must not stall the PUBACKs behind an fsync each.
     */
    saveLive(updates: ReadonlyMap<string, ProbeLiveState>): void {
      writeUnsynced(db, () =>
        db.transaction(() => {
          for (const [id, s] of updates) {
            updateLive.run(
              s.lastSeenMs ?? null,
              s.batteryPct ?? null,
              s.batteryMv ?? null,
              s.rssi ?? null,
              s.status ?? null,
              s.fw ?? null,
              id,
            );
          }
        })(),
      );
    },
  };
}
export type Probes = ReturnType<typeof createProbes>;
