/**
 * The BLE-to-MQTT gateway: advertisements in (any `AdvertSource`), readings out per the wire
 * protocol, one MQTT connection per registered probe.
 *
 *   source → MAC → probe → decode (registry, or the probe's configured format and bindkey)
 *          → BTHome counter must rise → one reading per probe per window (median)
 *          → validated against the protocol → disk spool (fsync) → MQTT QoS 1 → PUBACK → spool forgets
 *
 * Everything that is dropped is counted in `stats` by reason; unknown MACs are expected (every phone
 * and headset nearby advertises) and only counted.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { BleAdvert, DecodeResult } from "../decoders/advert.js";
import { decodeAdvert, decoderFor } from "../decoders/registry.js";
import { readingSchema, readingsMessageSchema } from "../protocol/readings.js";
import type { AdvertSource, ScannedAdvert } from "./advert-source.js";
import { createCounterGuard } from "./counter-guard.js";
import type { GatewayConfig, GatewayProbe } from "./gateway-config.js";
import { type GatewayLog, silentLog } from "./gateway-log.js";
import { type ProbeLink, startProbeLink } from "./probe-link.js";
import { createReadingWindows, type WindowedReading } from "./reading-window.js";
import { openSpool, type Spool, type SpoolEntry, writeFileAtomic } from "./spool.js";

export const GATEWAY_FW = "coldtrail-gateway/0.1.0";
const COUNTERS_FILE = "bthome-counters.json";

export interface GatewayOptions {
  config: GatewayConfig;
  source: AdvertSource;
  log?: GatewayLog;
  now?: () => number;
  /** How often silent windows are closed and counters persisted; default 1 s. */
  tickMs?: number;
  /** MQTT reconnect period; default 5 s. */
  reconnectMs?: number;
  onAcked?(probeId: string, entries: readonly SpoolEntry[]): void;
}

export interface GatewayStats {
  adverts: number;
  /** From devices not in the config (ignored). */
  unknownMac: number;
  undecodable: number;
  /** Well-formed, but no temperature in it (e.g. a battery-only BTHome packet). */
  noTemperature: number;
  /** BTHome counter did not rise. */
  replayed: number;
  /** Belonged to a window already closed. */
  late: number;
  /** Outside what the wire protocol accepts (would be refused by the server). */
  implausible: number;
  /** Readings spooled. */
  readings: number;
  /** Readings refused because the spool was full. */
  spoolFull: number;
  /** Readings acknowledged by the broker. */
  published: number;
}

export interface Gateway {
  stats: GatewayStats;
  spools: ReadonlyMap<string, Spool>;
  /** Resolves when the source has ended and every open window went to the spool. */
  sourceDone: Promise<void>;
  /** Resolves true once every spool is empty (all acknowledged), false on timeout. */
  drained(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

function decodeFor(probe: GatewayProbe, a: ScannedAdvert): DecodeResult {
  const ad: BleAdvert = {
    mac: probe.mac,
    serviceData: a.serviceData,
    manufacturerData: a.manufacturerData,
    ...(a.name !== null && { name: a.name }),
    ...(probe.bindkey !== undefined && { bindkey: probe.bindkey }),
  };
  if (probe.format === undefined) return decodeAdvert(ad);
  const d = decoderFor(probe.format);
  if (!d.matches(ad)) {
    return {
      ok: false,
      reason: `${probe.format}: advertisement is not in the format configured for this device`,
    };
  }
  if (ad.bindkey !== undefined && !d.encrypted) {
    return {
      ok: false,
      reason: `${probe.format}: a bindkey is configured but ${probe.format} is never encrypted`,
    };
  }
  return d.decode(ad);
}

/** A windowed reading as a spool entry, or why the server would refuse it. */
function entryOf(
  r: WindowedReading,
  seq: () => number,
): { ok: true; entry: SpoolEntry } | { ok: false; reason: string } {
  const tempC = Math.round(r.tempC * 100) / 100;
  const one = readingSchema.safeParse({ ts: r.tsMs, temp_c: tempC });
  if (!one.success) return { ok: false, reason: one.error.issues[0]?.message ?? "invalid reading" };
  const entry: SpoolEntry = { ts: r.tsMs, temp_c: tempC, seq: 0 };
  // Optional fields out of the protocol's range are left out rather than costing the reading.
  const extras = { battery_pct: r.batteryPct, battery_mv: r.batteryMv, rssi: r.rssi };
  for (const [k, v] of Object.entries(extras)) {
    if (v === undefined) continue;
    const value = k === "battery_pct" ? v : Math.round(v);
    if (readingsMessageSchema.safeParse({ readings: [{ temp_c: 0 }], [k]: value }).success) {
      (entry as unknown as Record<string, number>)[k] = value;
    }
  }
  entry.seq = seq();
  return { ok: true, entry };
}

export function readCounters(spoolDir: string): Record<string, number> {
  const path = join(spoolDir, COUNTERS_FILE);
  if (!existsSync(path)) return {};
  try {
    const v = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(v).filter((e): e is [string, number] => Number.isInteger(e[1])));
  } catch {
    return {};
  }
}

export function startGateway(o: GatewayOptions): Gateway {
  const { config } = o;
  const log = o.log ?? silentLog;
  const now = o.now ?? Date.now;
  const stats: GatewayStats = {
    adverts: 0,
    unknownMac: 0,
    undecodable: 0,
    noTemperature: 0,
    replayed: 0,
    late: 0,
    implausible: 0,
    readings: 0,
    spoolFull: 0,
    published: 0,
  };
  const byMac = new Map(config.probes.map((p) => [p.mac, p]));
  const guard = createCounterGuard(readCounters(config.spoolDir));
  const windows = createReadingWindows(config.windowMs);
  const spools = new Map<string, Spool>();
  const links = new Map<string, ProbeLink>();
  const warned = new Set<string>();

  for (const p of config.probes) {
    const spool = openSpool(config.spoolDir, p.probeId, { maxEntries: config.maxSpooledPerProbe });
    if (spool.recovery.pending > 0 || spool.recovery.tornBytes > 0 || spool.recovery.badLines > 0) {
      log.info({ probeId: p.probeId, ...spool.recovery }, "gateway.spool_recovered");
    }
    spools.set(p.probeId, spool);
    links.set(
      p.probeId,
      startProbeLink({
        broker: config.broker,
        probeId: p.probeId,
        secret: p.secret,
        spool,
        log,
        fw: GATEWAY_FW,
        ...(o.reconnectMs !== undefined && { reconnectMs: o.reconnectMs }),
        onAcked(probeId, entries) {
          stats.published += entries.length;
          o.onAcked?.(probeId, entries);
        },
      }),
    );
  }

  const warnOnce = (key: string, fields: object, msg: string) => {
    if (warned.has(key)) return log.debug(fields, msg);
    if (warned.size < 10_000) warned.add(key);
    log.warn(fields, msg);
  };

  function emit(probeId: string, r: WindowedReading): void {
    const spool = spools.get(probeId) as Spool;
    const e = entryOf(r, () => spool.takeSeq());
    if (!e.ok) {
      stats.implausible++;
      warnOnce(
        `implausible:${probeId}`,
        { probeId, tempC: r.tempC, ts: r.tsMs, reason: e.reason },
        "gateway.reading_implausible",
      );
      return;
    }
    if (!spool.append(e.entry)) {
      stats.spoolFull++;
      warnOnce(`full:${probeId}`, { probeId, max: config.maxSpooledPerProbe }, "gateway.spool_full");
      return;
    }
    stats.readings++;
    links.get(probeId)?.kick();
  }

  function onAdvert(a: ScannedAdvert): void {
    stats.adverts++;
    const probe = byMac.get(a.mac.toUpperCase());
    if (!probe) {
      stats.unknownMac++;
      return;
    }
    const r = decodeFor(probe, a);
    if (!r.ok) {
      stats.undecodable++;
      warnOnce(
        `undecodable:${probe.probeId}:${r.reason}`,
        { probeId: probe.probeId, mac: probe.mac, reason: r.reason },
        "gateway.advert_undecodable",
      );
      return;
    }
    if (r.tempC === null) {
      stats.noTemperature++;
      return;
    }
    if (r.counter !== undefined) {
      const c = guard.check(probe.mac, r.counter);
      if (!c.ok) {
        stats.replayed++;
        log.warn(
          { probeId: probe.probeId, mac: probe.mac, counter: r.counter, reason: c.reason },
          "gateway.advert_replayed",
        );
        return;
      }
    }
    const added = windows.add(
      probe.probeId,
      {
        atMs: a.atMs,
        tempC: r.tempC,
        ...(r.batteryPct !== undefined && { batteryPct: r.batteryPct }),
        ...(r.batteryMv !== undefined && r.batteryMv !== null && { batteryMv: r.batteryMv }),
        ...(a.rssi !== null && { rssi: a.rssi }),
      },
      now(),
    );
    if (added.kind === "late") stats.late++;
    else if (added.closed) emit(probe.probeId, added.closed);
  }

  function persistCounters(): void {
    const snap = guard.snapshot();
    if (snap.changed) writeFileAtomic(join(config.spoolDir, COUNTERS_FILE), JSON.stringify(snap.counters));
  }

  const tick = setInterval(() => {
    for (const { probeId, reading } of windows.due(now())) emit(probeId, reading);
    persistCounters();
  }, o.tickMs ?? 1000);

  let stopping = false;
  const sourceDone = (async () => {
    try {
      for await (const a of o.source.adverts()) {
        if (stopping) break;
        onAdvert(a);
      }
    } catch (e) {
      log.error({ source: o.source.name, err: (e as Error).message }, "gateway.source_failed");
    }
    for (const { probeId, reading } of windows.flushAll()) emit(probeId, reading);
    persistCounters();
    log.info({ source: o.source.name, ...stats }, "gateway.source_ended");
  })();

  log.info(
    {
      source: o.source.name,
      probes: config.probes.length,
      windowS: config.windowMs / 1000,
      spoolDir: config.spoolDir,
    },
    "gateway.started",
  );

  let closing: Promise<void> | null = null;
  return {
    stats,
    spools,
    sourceDone,
    async drained(timeoutMs: number): Promise<boolean> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        if ([...spools.values()].every((s) => s.pending === 0)) return true;
        if (Date.now() >= until) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close(): Promise<void> {
      closing ??= (async () => {
        stopping = true;
        clearInterval(tick);
        await o.source.close();
        await sourceDone;
        await Promise.all([...links.values()].map((l) => l.close()));
        for (const s of spools.values()) s.close();
        log.info({ ...stats }, "gateway.stopped");
      })();
      return closing;
    },
  };
}
