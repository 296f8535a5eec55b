import type { SqlQueries } from "../db/sql/client.js";
import type { Attachment, Probe } from "./probes.js";
import type { Unit, UnitKind, UnitSite } from "./units.js";

/** A probe as the index keeps it: the API's fields plus what ingest and the BLE bridge check. */
export interface IndexedProbe extends Probe {
  secretHash: string;
  bleBindkey: string | null;
}

/** An attachment with its row id (back-dating moves the start of that row). */
export interface IndexedAttachment extends Attachment {
  rowId: number;
}

export function toUnit(r: Record<string, unknown>): Unit {
  return {
    id: r.id as string,
    ownerId: r.owner_id as string,
    name: r.name as string,
    kind: r.kind as UnitKind,
    site: r.site as UnitSite,
    profile: r.profile as string,
    profileOverrides: r.profile_overrides ? JSON.parse(r.profile_overrides as string) : null,
    createdMs: r.created_ms as number,
  };
}

export function toProbe(r: Record<string, unknown>): Probe {
  return {
    id: r.id as string,
    ownerId: r.owner_id as string,
    name: (r.name as string | null) ?? null,
    calibrationOffsetC: r.calibration_offset_c as number,
    expectedIntervalMs: r.expected_interval_ms as number,
    intervalDeclared: r.interval_declared === 1,
    batteryPct: (r.battery_pct as number | null) ?? null,
    batteryMv: (r.battery_mv as number | null) ?? null,
    rssi: (r.rssi as number | null) ?? null,
    status: (r.status as string | null) ?? null,
    fw: (r.fw as string | null) ?? null,
    lastSeenMs: (r.last_seen_ms as number | null) ?? null,
    createdMs: r.created_ms as number,
    bleMac: (r.ble_mac as string | null) ?? null,
  };
}

const toIndexedProbe = (r: Record<string, unknown>): IndexedProbe => ({
  ...toProbe(r),
  secretHash: r.secret_hash as string,
  bleBindkey: (r.ble_bindkey as string | null) ?? null,
});

const toAttachment = (r: Record<string, unknown>): IndexedAttachment => ({
  rowId: r.id as number,
  probeId: r.probe_id as string,
  unitId: r.unit_id as string,
  fromMs: r.from_ms as number,
  toMs: (r.to_ms as number | null) ?? null,
});

/** The public shape of an attachment (no row id). */
const plain = (a: IndexedAttachment): Attachment => ({
  probeId: a.probeId,
  unitId: a.unitId,
  fromMs: a.fromMs,
  toMs: a.toMs,
});

/**
 * Units, probes and attachments in memory, so the per-message paths (ingest's secret check, the
 * rules' calibration and attachments, the BLE bridge's MAC map, the broker's probe ids) read them
 * synchronously without asking the database (SQLite or PostgreSQL). A milk bank has at most tens of
 * thousands of each: loaded at start with one query per table, then kept current by every write of
 * this process (`putUnit`, `reloadProbe`, …) and, on PostgreSQL, by the writes of other instances
 * (registry-notify.ts reloads the changed rows).
 *
 * Live fields (battery, last seen, status) are as loaded or last reloaded: the current ones are in
 * probe-live.ts, which overlays them.
 */
export function createRegistryIndex() {
  const units = new Map<string, Unit>();
  const probes = new Map<string, IndexedProbe>();
  const byProbe = new Map<string, IndexedAttachment[]>();
  const byUnit = new Map<string, Set<string>>();
  const macs = new Map<string, string>();

  function setAttachments(probeId: string, list: IndexedAttachment[]): void {
    for (const a of byProbe.get(probeId) ?? []) byUnit.get(a.unitId)?.delete(probeId);
    if (list.length === 0) {
      byProbe.delete(probeId);
      return;
    }
    list.sort((a, b) => a.fromMs - b.fromMs || a.rowId - b.rowId);
    byProbe.set(probeId, list);
    for (const a of list) {
      let s = byUnit.get(a.unitId);
      if (!s) {
        s = new Set();
        byUnit.set(a.unitId, s);
      }
      s.add(probeId);
    }
  }

  function putProbe(p: IndexedProbe): void {
    const old = probes.get(p.id);
    if (old?.bleMac && macs.get(old.bleMac) === p.id) macs.delete(old.bleMac);
    probes.set(p.id, p);
    if (p.bleMac) macs.set(p.bleMac, p.id);
  }

  function dropProbe(id: string): void {
    const old = probes.get(id);
    if (old?.bleMac && macs.get(old.bleMac) === id) macs.delete(old.bleMac);
    probes.delete(id);
    setAttachments(id, []);
  }

  return {
    /** Replaces everything with the database's rows: one query per table. */
    async load(q: SqlQueries): Promise<void> {
      const [u, p, a] = [
        await q.query("SELECT * FROM unit"),
        await q.query("SELECT * FROM probe"),
        await q.query("SELECT * FROM probe_attachment"),
      ];
      units.clear();
      probes.clear();
      byProbe.clear();
      byUnit.clear();
      macs.clear();
      for (const r of u) units.set(r.id as string, toUnit(r));
      for (const r of p) putProbe(toIndexedProbe(r));
      const lists = new Map<string, IndexedAttachment[]>();
      for (const r of a) {
        const att = toAttachment(r);
        const l = lists.get(att.probeId);
        if (l) l.push(att);
        else lists.set(att.probeId, [att]);
      }
      for (const [id, l] of lists) setAttachments(id, l);
    },
    /** Reads one unit again (gone when its row is). */
    async reloadUnit(q: SqlQueries, id: string): Promise<void> {
      const r = await q.get("SELECT * FROM unit WHERE id = ?", [id]);
      if (r) units.set(id, toUnit(r));
      else units.delete(id);
    },
    /** Reads one probe and its attachments again (gone when its row is). */
    async reloadProbe(q: SqlQueries, id: string): Promise<void> {
      const r = await q.get("SELECT * FROM probe WHERE id = ?", [id]);
      const atts = await q.query("SELECT * FROM probe_attachment WHERE probe_id = ?", [id]);
      if (!r) {
        dropProbe(id);
        return;
      }
      putProbe(toIndexedProbe(r));
      setAttachments(id, atts.map(toAttachment));
    },
    /** Reads these units and probes again (an account's erasure changed or deleted them). */
    async reloadSome(
      q: SqlQueries,
      ids: { units: readonly string[]; probes: readonly string[] },
    ): Promise<void> {
      for (const id of ids.units) await this.reloadUnit(q, id);
      for (const id of ids.probes) await this.reloadProbe(q, id);
    },
    putUnit(u: Unit): void {
      units.set(u.id, u);
    },
    unit(id: string): Unit | null {
      return units.get(id) ?? null;
    },
    probe(id: string): IndexedProbe | null {
      return probes.get(id) ?? null;
    },
    probeIds(): string[] {
      return [...probes.keys()].sort();
    },
    unitIds(): string[] {
      return [...units.keys()].sort();
    },
    probeOfMac(mac: string): IndexedProbe | null {
      const id = macs.get(mac);
      return id === undefined ? null : (probes.get(id) ?? null);
    },
    attachmentsOfProbe(probeId: string): Attachment[] {
      return (byProbe.get(probeId) ?? []).map(plain);
    },
    /** The open attachment with its row id, or null. */
    openAttachment(probeId: string): IndexedAttachment | null {
      return byProbe.get(probeId)?.find((a) => a.toMs === null) ?? null;
    },
    currentAttachments(): Attachment[] {
      const out: Attachment[] = [];
      for (const list of byProbe.values()) {
        const a = list.find((x) => x.toMs === null);
        if (a) out.push(plain(a));
      }
      return out;
    },
    /** Attachments of a unit that overlap [fromMs, toMs), oldest first. */
    attachmentsOfUnit(unitId: string, fromMs: number, toMs: number): Attachment[] {
      const out: IndexedAttachment[] = [];
      for (const probeId of byUnit.get(unitId) ?? []) {
        for (const a of byProbe.get(probeId) ?? []) {
          if (a.unitId === unitId && a.fromMs < toMs && (a.toMs === null || a.toMs > fromMs)) out.push(a);
        }
      }
      return out.sort((a, b) => a.fromMs - b.fromMs || a.rowId - b.rowId).map(plain);
    },
  };
}
export type RegistryIndex = ReturnType<typeof createRegistryIndex>;
