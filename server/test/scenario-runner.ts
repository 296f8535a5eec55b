import {
  findUnitModel,
  renameProbes,
  replayMessages,
  type Scenario,
  scenarioStartMs,
  simulateScenario,
} from "@coldtrail/simulators";
import type { TestServer } from "./harness.js";

export interface ScenarioOutcome {
  /** Scenario unit id → the verdict of the batch whose custody ends there (with reason codes). */
  verdicts: Map<string, { verdict: string; reasons: string[] }>;
  /** Scenario unit id → kinds of the alerts raised for it or its probes. */
  alerts: Map<string, string[]>;
}

const MIN = 60_000;

/**
 * Runs a simulator scenario against a real server through its public contract only: units,
 * probes and batches over HTTP (one batch for each unit that starts with milk, following the
 * scenario's moves), the simulated devices' messages over MQTT with the issued credentials.
 */
export async function runScenario(s: TestServer, scenario: Scenario): Promise<ScenarioOutcome> {
  const startMs = scenarioStartMs(scenario, Date.now());
  const sim = simulateScenario(scenario, startMs);
  const iso = (ms: number) => new Date(ms).toISOString();
  const unitIds = new Map<string, string>();
  const kindOf = (model: string) => {
    const m = findUnitModel(model);
    if (!m.ok) throw new Error(m.reason);
    return m.model.kind;
  };
  for (const u of scenario.units) {
    const kind = kindOf(u.model);
    const r = await s.api<{ id: string }>("POST", "/api/v1/units", { name: u.name ?? u.id, kind });
    if (r.status !== 201) throw new Error(`unit ${u.id}: ${r.status} ${JSON.stringify(r.body)}`);
    unitIds.set(u.id, r.body.id);
  }
  const probeIds = new Map<string, string>();
  const secrets = new Map<string, string>();
  for (const p of scenario.probes) {
    const r = await s.api<{ id: string; secret: string }>("POST", "/api/v1/probes", {
      intervalS: p.intervalS,
    });
    const at = await s.api("PUT", `/api/v1/probes/${r.body.id}/unit`, {
      unitId: unitIds.get(p.unit),
      at: iso(startMs - MIN),
    });
    if (at.status !== 200) throw new Error(`attach ${p.id}: ${at.status}`);
    probeIds.set(p.id, r.body.id);
    secrets.set(r.body.id, r.body.secret);
  }
  // The milk: one batch per unit that starts with milk; it follows the moves.
  const batchIn = new Map<string, string>();
  for (const u of scenario.units) {
    if (u.milkC === null) continue;
    const kind = kindOf(u.model);
    const b = await s.api<{ id: string }>("POST", "/api/v1/batches", {
      unitId: unitIds.get(u.id),
      expressedAt: iso(startMs - 30 * MIN),
      at: iso(startMs),
      state: kind === "fridge" ? "fresh" : "frozen",
    });
    if (b.status !== 201) throw new Error(`batch in ${u.id}: ${b.status} ${JSON.stringify(b.body)}`);
    batchIn.set(u.id, b.body.id);
  }
  for (const e of [...scenario.events].sort((a, b) => a.atMin - b.atMin)) {
    if (e.kind !== "move") continue;
    const id = batchIn.get(e.unit);
    if (!id) continue;
    const m = await s.api("POST", `/api/v1/batches/${id}/moves`, {
      unitId: unitIds.get(e.to),
      at: iso(startMs + e.atMin * MIN),
    });
    if (m.status !== 200) throw new Error(`move ${e.unit} → ${e.to}: ${m.status} ${JSON.stringify(m.body)}`);
    batchIn.delete(e.unit);
    batchIn.set(e.to, id);
  }

  const replay = await replayMessages(renameProbes(sim.messages, probeIds), {
    url: s.mqttUrl,
    credentials: (probeId) => ({ username: probeId, password: secrets.get(probeId) as string }),
  });
  if (!replay.ok) throw new Error(replay.reason);
  if (replay.errors > 0) throw new Error(`${replay.errors} messages were not acknowledged`);
  await s.parts.forwarder.drain();
  // Let the alert engine's clock tick once past the scenario's end (offline and reminders are timers).
  s.tickAlerts();

  const verdicts = new Map<string, { verdict: string; reasons: string[] }>();
  for (const [unit, batchId] of batchIn) {
    const v = await s.api<{ verdict: string; reasons: { code: string }[] }>(
      "GET",
      `/api/v1/batches/${batchId}`,
    );
    verdicts.set(unit, { verdict: v.body.verdict, reasons: v.body.reasons.map((r) => r.code) });
  }
  const alerts = new Map<string, string[]>();
  for (const [ref, id] of unitIds) {
    const a = await s.api<{ alerts: { kind: string }[] }>("GET", `/api/v1/alerts?unitId=${id}&limit=1000`);
    alerts.set(ref, [...new Set(a.body.alerts.map((x) => x.kind))].sort());
  }
  return { verdicts, alerts };
}
