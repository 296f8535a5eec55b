/**
 * The alert engine's per-reading registry lookups (a probe, its attachment history, a unit), kept
 * in memory. Every batch of stored readings asked the registry again for each probe in it, two
 * queries a probe a batch on the ingest path (issue #12); now a probe costs two Map reads.
 *
 * What is kept is dropped whole when the registry may have changed, which `version` tells: the
 * caller checks it once per batch or tick (`refresh`), not per reading. The version alerting.ts
 * gives is the newest audit entry (every attach, detach, calibration, unit edit and erasure is
 * audited, on any connection) together with SQLite's `data_version` (a commit by another
 * connection to the file, e.g. the SQL client's). Misses are not kept (an unknown probe or unit
 * is asked for again), so a registration needs no invalidation.
 */
import type { Db } from "../db/open.js";
import { ADMIN } from "../registry/caller.js";
import type { Probes } from "../registry/probes.js";
import type { Units } from "../registry/units.js";
import type { AlertLookups, AttachmentInfo, ProbeInfo, UnitInfo } from "./detectors/types.js";

export interface AttachmentIndexSource {
  probe(probeId: string): ProbeInfo | null;
  attachmentsOf(probeId: string): AttachmentInfo[];
  unit(unitId: string): UnitInfo | null;
  /** Changes whenever the registry may have changed; equal values mean nothing did. */
  version(): string;
}

export type AttachmentIndex = Pick<AlertLookups, "probe" | "attachmentsOf" | "unit"> & {
  /** Drops everything kept if the registry's version moved since the last call. */
  refresh(): void;
  /** Drops everything kept. */
  clear(): void;
};

export function createAttachmentIndex(source: AttachmentIndexSource): AttachmentIndex {
  const probes = new Map<string, ProbeInfo>();
  const attachments = new Map<string, AttachmentInfo[]>();
  const units = new Map<string, UnitInfo>();
  let seen = source.version();

  function clear(): void {
    probes.clear();
    attachments.clear();
    units.clear();
  }

  return {
    probe(probeId) {
      const hit = probes.get(probeId);
      if (hit) return hit;
      const p = source.probe(probeId);
      if (p) probes.set(probeId, p);
      return p;
    },
    attachmentsOf(probeId) {
      let a = attachments.get(probeId);
      if (!a) {
        a = source.attachmentsOf(probeId);
        attachments.set(probeId, a);
      }
      return a;
    },
    unit(unitId) {
      const hit = units.get(unitId);
      if (hit) return hit;
      const u = source.unit(unitId);
      if (u) units.set(unitId, u);
      return u;
    },
    refresh() {
      const v = source.version();
      if (v === seen) return;
      seen = v;
      clear();
    },
    clear,
  };
}

/**
 * The registry's version in its SQLite file: the newest audit entry, and `PRAGMA data_version`
 * (which moves when another connection commits; https://www.sqlite.org/pragma.html#pragma_data_version).
 */
export function sqliteRegistryVersion(db: Db): () => string {
  const dataVersion = db.prepare("PRAGMA data_version").pluck();
  const newestAudit = db.prepare("SELECT max(id) FROM audit").pluck();
  return () => `${dataVersion.get() as number}:${(newestAudit.get() as number | null) ?? 0}`;
}

/** The index over the registry's probes, attachments and units in `db` (shared by alerting and verdicts). */
export function createRegistryIndex(deps: { db: Db; units: Units; probes: Probes }): AttachmentIndex {
  const { units, probes } = deps;
  return createAttachmentIndex({
    unit(unitId) {
      try {
        return units.get(ADMIN, unitId);
      } catch {
        return null;
      }
    },
    probe: (probeId) => probes.byId(probeId),
    attachmentsOf: (probeId) => probes.attachmentsOfProbe(probeId),
    version: sqliteRegistryVersion(deps.db),
  });
}
