import type { MqttClient } from "mqtt";
import { type ApiTarget, createProbe, createUnit } from "../api/registration.js";
import {
  createProbeDevice,
  type DeviceMessage,
  type ProbeDeviceState,
  sampleProbe,
} from "../devices/probe-device.js";
import type { UnitModelId } from "../models/registry.js";
import { closeProbe, connectProbe, waitConnected } from "../mqtt/probe-connection.js";
import { deriveSeed } from "../scenarios/simulate.js";
import {
  advanceFleetUnit,
  createFleetUnit,
  type FleetUnit,
  fleetSpecFor,
  fleetSpecForModel,
} from "./fleet.js";
import { readStateFile, type SavedProbe, type StateFile, writeStateFile } from "./state-file.js";

/**
 * Live mode for a newcomer: registers (or reuses) N probes in a mix of units through the HTTP API,
 * then publishes one reading per probe every interval, in real time, until stopped.
 */
export interface DemoOptions {
  apiUrl: string;
  token: string;
  probes: number;
  intervalMs: number;
  statePath: string;
  /** Use this broker URL instead of the one the server returns at registration. */
  mqttUrl?: string;
  seed?: number;
  progressMs?: number;
  fw?: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Wall clock, injectable for tests. */
  now?: () => number;
}

export interface DemoCounts {
  sent: number;
  acked: number;
  errors: number;
}

export type DemoResult =
  | { ok: true; probes: SavedProbe[]; registered: number; counts: DemoCounts }
  | { ok: false; reason: string };

const CONNECT_TIMEOUT_MS = 15_000;

interface LiveProbe {
  saved: SavedProbe;
  unit: FleetUnit;
  device: ProbeDeviceState;
  client: MqttClient;
  lastMs: number;
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const log = o.log ?? ((line: string) => console.log(line));
  const now = o.now ?? Date.now;
  const api: ApiTarget = { baseUrl: o.apiUrl, token: o.token };
  const seed = o.seed ?? 1;

  const loaded = await readStateFile(o.statePath);
  if (!loaded.ok) return loaded;
  let state: StateFile = { version: 1, apiUrl: o.apiUrl, probes: [] };
  if (loaded.state && loaded.state.apiUrl === o.apiUrl) state = loaded.state;
  else if (loaded.state)
    log(`demo: ${o.statePath} belongs to ${loaded.state.apiUrl}, not ${o.apiUrl}: registering new probes`);

  let registered = 0;
  const ensure = async (): Promise<{ ok: true } | { ok: false; reason: string }> => {
    for (let i = state.probes.length; i < o.probes; i++) {
      const spec = fleetSpecFor(i);
      const name = `Sim ${spec.label} ${i + 1}`;
      const unit = await createUnit(api, { name, kind: spec.kind });
      if (!unit.ok) return unit;
      const probe = await createProbe(api, {
        name: `sim probe ${i + 1} (${spec.label})`,
        unitId: unit.value.id,
      });
      if (!probe.ok) return probe;
      state.probes.push({
        id: probe.value.id,
        secret: probe.value.secret,
        name,
        unitId: unit.value.id,
        model: spec.model,
        mqttUrl: probe.value.mqtt.url,
      });
      registered++;
      await writeStateFile(o.statePath, state); // after each one, so a crash loses no secret
      log(`demo: registered ${name}: unit ${unit.value.id}, probe ${probe.value.id}`);
    }
    return { ok: true };
  };

  const reg = await ensure();
  if (!reg.ok) return reg;
  if (registered === 0) log(`demo: reusing ${o.probes} probes from ${o.statePath}`);

  const startMs = now();
  const makeLive = (saved: SavedProbe, i: number): LiveProbe => {
    const spec = fleetSpecForModel(saved.model as UnitModelId);
    const s = deriveSeed(seed, i);
    return {
      saved,
      unit: createFleetUnit(spec, s, (2 + (s % 4)) * 3_600_000),
      device: createProbeDevice(
        {
          probeId: saved.id,
          intervalMs: o.intervalMs,
          seed: s,
          initialBatteryPct: spec.batteryPct,
          firstSeq: saved.nextSeq ?? 0,
          fw: o.fw ?? "sim-0.1.0",
        },
        startMs,
      ),
      client: connectProbe({
        url: o.mqttUrl ?? saved.mqttUrl,
        probeId: saved.id,
        username: saved.id,
        password: saved.secret,
        fw: o.fw ?? "sim-0.1.0",
      }),
      lastMs: startMs,
    };
  };

  let live = state.probes.slice(0, o.probes).map(makeLive);
  let connected = await Promise.all(live.map((p) => waitConnected(p.client, CONNECT_TIMEOUT_MS)));
  if (registered === 0 && connected.some((c) => !c.ok && c.authRefused)) {
    // The server's database was reset since the state file was written: start afresh, once.
    log(`demo: the broker refused the saved probes (${o.statePath} is stale): registering new probes`);
    await Promise.all(live.map((p) => closeProbe(p.client, p.saved.id, false)));
    state = { version: 1, apiUrl: o.apiUrl, probes: [] };
    const again = await ensure();
    if (!again.ok) return again;
    live = state.probes.slice(0, o.probes).map(makeLive);
    connected = await Promise.all(live.map((p) => waitConnected(p.client, CONNECT_TIMEOUT_MS)));
  }
  const failed = connected.findIndex((c) => !c.ok);
  if (failed >= 0) {
    await Promise.all(live.map((p) => closeProbe(p.client, p.saved.id, false)));
    const c = connected[failed] as { reason: string };
    return { ok: false, reason: `probe ${live[failed]!.saved.id} could not connect to MQTT: ${c.reason}` };
  }
  log(`demo: ${live.length} probes connected; one reading each every ${o.intervalMs} ms (Ctrl-C to stop)`);

  const counts: DemoCounts = { sent: 0, acked: 0, errors: 0 };
  const publish = (p: LiveProbe, m: DeviceMessage) => {
    counts.sent++;
    p.client.publish(m.topic, JSON.stringify(m.payload), { qos: 1 }, (err) => {
      if (err) counts.errors++;
      else counts.acked++;
    });
  };
  const tick = (p: LiveProbe) => {
    const t = now();
    p.unit = advanceFleetUnit(p.unit, Math.max(0, t - p.lastMs));
    p.lastMs = t;
    const out = sampleProbe(p.device, t, p.unit.state.airC);
    p.device = out.state;
    for (const m of out.messages) publish(p, m);
  };

  const timers: NodeJS.Timeout[] = [];
  live.forEach((p, i) => {
    tick(p);
    // Spread the probes over the interval instead of publishing in bursts.
    const phase = Math.floor((o.intervalMs * i) / live.length);
    timers.push(
      setTimeout(() => {
        tick(p);
        timers.push(setInterval(() => tick(p), o.intervalMs));
      }, phase || o.intervalMs),
    );
  });
  const progress = setInterval(() => {
    const temps = live.map((p) => `${p.unit.spec.label} ${p.unit.state.airC.toFixed(1)} °C`).join(" · ");
    log(`demo: sent ${counts.sent} · acked ${counts.acked} · errors ${counts.errors} · ${temps}`);
  }, o.progressMs ?? 10_000);

  await new Promise<void>((resolve) => {
    if (o.signal?.aborted) resolve();
    o.signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  for (const t of timers) clearTimeout(t);
  clearInterval(progress);
  await Promise.all(live.map((p) => closeProbe(p.client, p.saved.id)));
  for (const p of live) {
    const saved = state.probes.find((s) => s.id === p.saved.id);
    if (saved) saved.nextSeq = p.device.nextSeq;
  }
  await writeStateFile(o.statePath, state);
  log(`demo: stopped · sent ${counts.sent} · acked ${counts.acked} · errors ${counts.errors}`);
  return { ok: true, probes: state.probes.slice(0, o.probes), registered, counts };
}
