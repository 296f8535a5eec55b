import { describe, expect, it } from "vitest";
import { createTestContext, MIN, probeRecord, T0, unitRecord } from "./detectors/test-context.js";
import { createAlertEngine, type MonitorStore, type SavedMonitor } from "./engine.js";
import { resolveAlertSettings } from "./settings.js";

/** A monitor store that records each `saveAll` call. */
function recordingMonitors() {
  const calls: { unitIds: string[]; atMs: number }[] = [];
  const store: MonitorStore = {
    load: () => null,
    loadAll: () => [],
    saveAll(monitors: readonly SavedMonitor[], atMs: number) {
      calls.push({ unitIds: monitors.map((m) => m.unitId).sort(), atMs });
    },
  };
  return { store, calls };
}

describe("the engine's unit monitors at each tick", () => {
  it("saves every monitor that changed since the last tick in one call, and none that did not", () => {
    const ids = ["a", "b", "c"];
    const t = createTestContext({
      units: ids.map((id) => unitRecord(`u_${id}`)),
      probes: ids.map((id) => probeRecord(`p_${id}`)),
      attachments: ids.map((id) => ({ probeId: `p_${id}`, unitId: `u_${id}`, fromMs: T0, toMs: null })),
    });
    const settings = resolveAlertSettings(undefined);
    if (!settings.ok) throw new Error(settings.reason);
    const monitors = recordingMonitors();
    let nowMs = T0 + 60 * MIN;
    const engine = createAlertEngine({
      settings: settings.settings,
      lookups: t.lookups,
      monitors: monitors.store,
      now: () => nowMs,
    });
    const reading = (id: string, tsMs: number) => ({
      probeId: `p_${id}`,
      tsMs,
      tempC: -20,
      seq: 0,
      serverTimed: false,
      receivedMs: tsMs,
    });
    // Settled (30 min after the attachment): each reading reaches its unit's monitor.
    engine.readings(ids.map((id) => reading(id, nowMs)));
    engine.tick(nowMs);
    expect(monitors.calls).toEqual([{ unitIds: ["u_a", "u_b", "u_c"], atMs: nowMs }]);
    // Nothing new (within the one-minute interval, so no gap either): nothing saved.
    nowMs += 20_000;
    engine.tick(nowMs);
    expect(monitors.calls).toHaveLength(1);
    // Only unit b heard: only its monitor.
    engine.readings([reading("b", nowMs)]);
    nowMs += 20_000;
    engine.tick(nowMs);
    expect(monitors.calls.at(-1)).toEqual({ unitIds: ["u_b"], atMs: nowMs });
  });

  it("returns the tick's intents when saving failed, and saves that monitor at the next tick", () => {
    const t = createTestContext({
      units: [unitRecord("u_a")],
      probes: [probeRecord("p_a")],
      attachments: [{ probeId: "p_a", unitId: "u_a", fromMs: T0, toMs: null }],
      // A batch past its storage limit: the tick raises an alert for it.
      dueBatches: (nowMs) => [
        {
          batchId: "b_1",
          code: "K7Q2M",
          unitId: "u_a",
          limit: "frozen",
          band: "check",
          untilMs: nowMs - MIN,
        },
      ],
    });
    const settings = resolveAlertSettings(undefined);
    if (!settings.ok) throw new Error(settings.reason);
    const saved: string[][] = [];
    const errors: string[] = [];
    let fail = true;
    const nowMs = T0 + 60 * MIN;
    const engine = createAlertEngine({
      settings: settings.settings,
      lookups: t.lookups,
      monitors: {
        load: () => null,
        loadAll: () => [],
        saveAll(monitors) {
          if (fail) throw new Error("database is locked");
          saved.push(monitors.map((m) => m.unitId));
        },
      },
      now: () => nowMs,
      onMonitorSaveError: (n, reason) => errors.push(`${n}: ${reason}`),
    });
    engine.readings([{ probeId: "p_a", tsMs: nowMs, tempC: -20, seq: 0, serverTimed: false }]);
    expect(engine.tick(nowMs)).toMatchObject([{ op: "raise", kind: "batch-storage-limit" }]);
    expect(errors).toEqual(["1: database is locked"]);
    expect(saved).toEqual([]);
    fail = false;
    engine.tick(nowMs + 20_000);
    expect(saved).toEqual([["u_a"]]);
  });

  it("saves a monitor again at the next tick when an asynchronous save was rejected", async () => {
    const t = createTestContext({
      units: [unitRecord("u_a")],
      probes: [probeRecord("p_a")],
      attachments: [{ probeId: "p_a", unitId: "u_a", fromMs: T0, toMs: null }],
    });
    const settings = resolveAlertSettings(undefined);
    if (!settings.ok) throw new Error(settings.reason);
    const saves: { unitIds: string[]; outcome: Promise<void> }[] = [];
    const errors: string[] = [];
    let fail = true;
    let nowMs = T0 + 60 * MIN;
    const engine = createAlertEngine({
      settings: settings.settings,
      lookups: t.lookups,
      monitors: {
        load: () => null,
        loadAll: () => [],
        saveAll(monitors) {
          const outcome = fail ? Promise.reject(new Error("connection terminated")) : Promise.resolve();
          saves.push({ unitIds: monitors.map((m) => m.unitId), outcome });
          return outcome;
        },
      },
      now: () => nowMs,
      onMonitorSaveError: (n, reason) => errors.push(`${n}: ${reason}`),
    });
    engine.readings([{ probeId: "p_a", tsMs: nowMs, tempC: -20, seq: 0, serverTimed: false }]);
    engine.tick(nowMs);
    await saves[0]?.outcome.catch(() => undefined);
    expect(errors).toEqual(["1: connection terminated"]);
    fail = false;
    nowMs += 20_000;
    engine.tick(nowMs);
    expect(saves.map((s) => s.unitIds)).toEqual([["u_a"], ["u_a"]]);
    // Saved: nothing changed since, so the tick after saves nothing.
    await saves[1]?.outcome;
    nowMs += 20_000;
    engine.tick(nowMs);
    expect(saves).toHaveLength(2);
  });
});
