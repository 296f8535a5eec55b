/**
 * Re-applying a unit's intents when this instance gains its lease (docs/high-availability.md
 * item 4): what the previous holder decided and never committed is written now, what it committed
 * is a no-op. The lease is played by a guard the test switches; the engine and store are real.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ADMIN } from "../registry/caller.js";
import { createTestWorld, MIN, T0, type TestWorld } from "./test-world.js";

let w: TestWorld;
afterEach(async () => w?.close());

/** A world whose alert changes commit only while `lease.held` (the unit lease of another instance otherwise). */
async function leasedWorld() {
  const lease = { held: false };
  w = createTestWorld({
    changeGuard: () => async () =>
      lease.held ? { ok: true } : { ok: false, reason: "instance test-b holds the unit's lease" },
  });
  await w.alerting.channels.create(ADMIN, { kind: "webhook", target: "http://127.0.0.1:9/hook" }, T0);
  const { unitId, probeId } = await w.unitWithProbe("Donor freezer", "freezer", T0, "probe-1");
  const events = () =>
    (
      w.db.prepare("SELECT type FROM alert_event WHERE unit_id = ? ORDER BY id").all(unitId) as {
        type: string;
      }[]
    ).map((e) => e.type);
  const outbox = () =>
    (w.db.prepare("SELECT event_type FROM alert_outbox ORDER BY id").all() as { event_type: string }[]).map(
      (r) => r.event_type,
    );
  return { lease, unitId, probeId, events, outbox };
}

// A freezer at −20 °C, then 40 min at −10 °C: above −18 °C for more than 30 min (RULES.md §3,
// the freezer profile) confirms an excursion; 45 min back at −20 °C ends it.
const COLD_TO = T0 + 60 * MIN;
const WARM_TO = COLD_TO + 40 * MIN;
const END = WARM_TO + 45 * MIN;

describe("a gained unit's intents applied again", () => {
  it("writes the raise the old holder never committed, once, with one delivery", async () => {
    const { lease, unitId, probeId, events, outbox } = await leasedWorld();
    await w.run(probeId, T0 + 31 * MIN, COLD_TO, -20);
    await w.run(probeId, COLD_TO, WARM_TO, -10);
    // This instance judged the excursion, but the unit was another's: nothing written.
    expect(await w.active()).toEqual([]);
    lease.held = true;
    await w.alerting.reapply(unitId);
    const [alert] = await w.active();
    expect(alert).toMatchObject({ kind: "excursion", unitId, state: "open", startedMs: COLD_TO });
    expect(events()).toEqual(["opened"]);
    expect(outbox()).toEqual(["opened"]);
    // Gained again (a second take-over, or a lease renewed under a new epoch): nothing more.
    await w.alerting.reapply(unitId);
    expect(events()).toEqual(["opened"]);
    // The engine counts it on again: the excursion's end clears it as usual.
    await w.run(probeId, WARM_TO, END, -20);
    expect(events()).toEqual(["opened", "resolved"]);
    expect(outbox()).toEqual(["opened", "resolved"]);
  });

  it("is a no-op for the raise the old holder committed, and writes the clear it never did", async () => {
    const { lease, unitId, probeId, events, outbox } = await leasedWorld();
    lease.held = true;
    await w.run(probeId, T0 + 31 * MIN, COLD_TO, -20);
    await w.run(probeId, COLD_TO, WARM_TO, -10);
    expect(events()).toEqual(["opened"]);
    // The lease moves away (to an instance that then dies) before the freezer is cold again.
    lease.held = false;
    await w.run(probeId, WARM_TO, END, -20);
    expect((await w.active()).map((a) => a.state)).toEqual(["open"]);
    lease.held = true;
    await w.alerting.reapply(unitId);
    expect(await w.active()).toEqual([]);
    expect(events()).toEqual(["opened", "resolved"]);
    expect(outbox()).toEqual(["opened", "resolved"]);
    await w.alerting.reapply(unitId);
    expect(events()).toEqual(["opened", "resolved"]);
  });

  it("writes a whole episode judged while no instance held the unit: opened, then resolved", async () => {
    const { lease, unitId, probeId, events, outbox } = await leasedWorld();
    await w.run(probeId, T0 + 31 * MIN, COLD_TO, -20);
    await w.run(probeId, COLD_TO, WARM_TO, -10);
    await w.run(probeId, WARM_TO, END, -20);
    expect(events()).toEqual([]);
    lease.held = true;
    await w.alerting.reapply(unitId);
    expect(events()).toEqual(["opened", "resolved"]);
    expect(outbox()).toEqual(["opened", "resolved"]);
    // Both committed already (by this instance now, or the old holder before it died): nothing more.
    await w.alerting.reapply(unitId);
    expect(events()).toEqual(["opened", "resolved"]);
  });

  it("applies only the gained unit's intents", async () => {
    const { lease, probeId, events } = await leasedWorld();
    await w.run(probeId, T0 + 31 * MIN, COLD_TO, -20);
    await w.run(probeId, COLD_TO, WARM_TO, -10);
    lease.held = true;
    await w.alerting.reapply("u_someone_else");
    await w.alerting.reapply(null);
    expect(events()).toEqual([]);
  });
});
