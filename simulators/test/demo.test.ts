import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decodeReadingsPayload,
  decodeStatusPayload,
  parseProbeTopic,
  statusTopic,
} from "@coldtrail/firmware-bridge/protocol";
import mqtt from "mqtt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createProbe, createUnit } from "../src/api/registration.js";
import { runDemo } from "../src/demo/run-demo.js";
import { connectProbe, waitConnected } from "../src/mqtt/probe-connection.js";
import { startBroker, type TestBroker } from "./broker.js";
import { runCli, startCli } from "./cli.js";
import { type ServerDouble, startServerDouble } from "./server-double.js";

const TOKEN = "test-admin-token";
let broker: TestBroker;
let api: ServerDouble;
let dir: string;

beforeEach(async () => {
  // The broker accepts exactly the probes the (double of the) server issued.
  broker = await startBroker((u, p) => api.probes.some((x) => x.id === u && x.secret === p));
  api = await startServerDouble(TOKEN, broker.url);
  dir = await mkdtemp(join(tmpdir(), "coldtrail-sim-"));
});
afterEach(async () => {
  await broker.close();
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the demo until `until` holds (or 8 s), then stops it. */
async function demoUntil(statePath: string, until: () => boolean, probes = 4) {
  const ac = new AbortController();
  const lines: string[] = [];
  const done = runDemo({
    apiUrl: api.url,
    token: TOKEN,
    probes,
    intervalMs: 200,
    statePath,
    progressMs: 300,
    log: (l) => lines.push(l),
    signal: ac.signal,
  });
  const t0 = Date.now();
  while (!until() && Date.now() - t0 < 8000) await new Promise((r) => setTimeout(r, 50));
  ac.abort();
  return { result: await done, lines };
}

const readings = () => broker.received.filter((m) => m.topic.endsWith("/readings"));

describe("coldtrail-sim demo", () => {
  it("registers a freezer, a freezer, a fridge and a cool bag, then publishes valid readings per probe", async () => {
    const statePath = join(dir, "sim-probes.json");
    const { result, lines } = await demoUntil(statePath, () => readings().length >= 20);
    expect(result.ok, result.ok ? "" : result.reason).toBe(true);
    if (!result.ok) return;
    expect(api.units.map((u) => u.kind)).toEqual(["freezer", "freezer", "fridge", "cool-bag"]);
    expect(api.requests.every((r) => r.auth === `Bearer ${TOKEN}`)).toBe(true);
    expect(result.registered).toBe(4);
    expect(result.counts.acked).toBeGreaterThanOrEqual(20);
    expect(result.counts.errors).toBe(0);

    // Every reading is on the probe's own topic, from its own connection, and decodes.
    const seqs = new Map<string, number[]>();
    for (const m of readings()) {
      const t = parseProbeTopic(m.topic);
      expect(t.ok).toBe(true);
      if (!t.ok) continue;
      expect(m.clientId).toBe(`${t.probeId}:sim`);
      expect(m.qos).toBe(1);
      const d = decodeReadingsPayload(m.payload);
      expect(d.ok, d.ok ? "" : d.message).toBe(true);
      if (!d.ok) continue;
      for (const r of d.value.readings) {
        expect(Number.isInteger(r.temp_c * 16)).toBe(true);
        expect(Math.abs(r.ts! - Date.now())).toBeLessThan(60_000);
        seqs.set(t.probeId, [...(seqs.get(t.probeId) ?? []), r.seq!]);
      }
    }
    expect(seqs.size).toBe(4);
    for (const s of seqs.values()) expect(s).toEqual(s.map((_, i) => i));
    // Temperatures match the unit kinds: freezers below −15 °C, the fridge between 0 and 8 °C.
    const lastTemp = (probeId: string) => {
      const last = readings()
        .filter((m) => m.topic.includes(probeId))
        .at(-1)!;
      const d = decodeReadingsPayload(last.payload);
      return d.ok ? d.value.readings[0]!.temp_c : Number.NaN;
    };
    expect(lastTemp(result.probes[0]!.id)).toBeLessThan(-15);
    expect(lastTemp(result.probes[1]!.id)).toBeLessThan(-15);
    expect(lastTemp(result.probes[2]!.id)).toBeGreaterThan(0);
    expect(lastTemp(result.probes[2]!.id)).toBeLessThan(8);

    // Online status, retained, on connect; offline, retained, at the end.
    const statuses = broker.received.filter((m) => m.topic === statusTopic(result.probes[0]!.id));
    expect(statuses.map((m) => [decodeStatusPayload(m.payload), m.retain])).toEqual([
      [{ ok: true, value: { state: "online", fw: "sim-0.1.0" } }, true],
      [{ ok: true, value: { state: "offline" } }, true],
    ]);
    expect(lines.some((l) => /^demo: sent \d+ · acked \d+ · errors 0 · upright freezer -?\d/.test(l))).toBe(
      true,
    );

    // The state file keeps the secrets, readable by the owner only.
    expect((await stat(statePath)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(statePath, "utf8"));
    expect(saved.probes.map((p: { id: string; secret: string }) => [p.id, p.secret])).toEqual(
      api.probes.map((p) => [p.id, p.secret]),
    );
    expect(saved.probes[0].nextSeq).toBeGreaterThan(0);
  });

  it("reuses the probes in the state file on the next run, continuing their seq", async () => {
    const statePath = join(dir, "state", "probes.json");
    const first = await demoUntil(statePath, () => readings().length >= 8);
    expect(first.result.ok).toBe(true);
    const before = api.requests.length;
    const n = readings().length;
    const second = await demoUntil(statePath, () => readings().length >= n + 8);
    expect(second.result.ok && second.result.registered).toBe(0);
    expect(api.requests.length).toBe(before);
    expect(second.lines).toContain(`demo: reusing 4 probes from ${statePath}`);
    const firstId = api.probes[0]!.id;
    const seqs = readings()
      .filter((m) => m.topic.includes(firstId))
      .flatMap((m) => {
        const d = decodeReadingsPayload(m.payload);
        return d.ok ? d.value.readings.map((r) => r.seq) : [];
      });
    expect(seqs).toEqual(seqs.map((_, i) => i));
  });

  it("registers afresh when the broker refuses the saved probes (server database reset)", async () => {
    const statePath = join(dir, "probes.json");
    const first = await demoUntil(statePath, () => readings().length >= 4, 2);
    expect(first.result.ok).toBe(true);
    const oldIds = api.probes.map((p) => p.id);
    api.probes.length = 0; // the server forgot them
    const second = await demoUntil(statePath, () => readings().length >= 8, 2);
    expect(second.result.ok, second.result.ok ? "" : second.result.reason).toBe(true);
    expect(second.lines.some((l) => l.includes("refused the saved probes"))).toBe(true);
    expect(api.probes).toHaveLength(2);
    expect(api.probes.map((p) => p.id)).not.toEqual(oldIds);
  });

  it("reports a wrong token as a reason naming the fix, without touching MQTT", async () => {
    const r = await runDemo({
      apiUrl: api.url,
      token: "wrong",
      probes: 1,
      intervalMs: 200,
      statePath: join(dir, "p.json"),
      log: () => {},
    });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/→ 401 unauthorized: missing or wrong bearer token \(check --token/);
    expect(broker.received).toEqual([]);
  });

  it("says the server is not running when nothing listens", async () => {
    const closed = api.url;
    await api.close();
    api = await startServerDouble(TOKEN, broker.url); // for afterEach
    const r = await createUnit({ baseUrl: closed, token: TOKEN }, { name: "x", kind: "freezer" });
    expect(r).toEqual({
      ok: false,
      reason: `POST ${closed}/api/v1/units failed (ECONNREFUSED): is the coldtrail server running at ${closed}?`,
    });
  });

  it("passes the server's 404 for an unknown unit through", async () => {
    const r = await createProbe({ baseUrl: `${api.url}/api/v1/`, token: TOKEN }, { unitId: "unit-404" });
    expect(r).toMatchObject({
      ok: false,
      status: 404,
      reason: expect.stringContaining("not_found: unit unit-404 does not exist"),
    });
  });
});

describe("coldtrail-sim demo (CLI)", () => {
  it("runs until Ctrl-C, printing progress, then marks its probes offline and exits 0", async () => {
    const statePath = join(dir, "cli-probes.json");
    const cli = startCli(
      [
        "demo",
        "--api",
        api.url,
        "--probes",
        "2",
        "--interval-ms",
        "200",
        "--state",
        statePath,
        "--progress-s",
        "0.5",
      ],
      { COLDTRAIL_ADMIN_TOKEN: TOKEN },
    );
    const t0 = Date.now();
    while (!/demo: sent [1-9]/.test(cli.stdout) && Date.now() - t0 < 15_000)
      await new Promise((r) => setTimeout(r, 50));
    cli.child.kill("SIGINT");
    const r = await cli.done;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/demo: registered Sim upright freezer 1: unit unit-1, probe probe-/);
    expect(r.stdout).toMatch(/demo: 2 probes connected; one reading each every 200 ms/);
    expect(r.stdout).toMatch(/demo: stopped · sent \d+ · acked \d+ · errors 0/);
    const offline = broker.received.filter(
      (m) => m.topic.endsWith("/status") && m.payload.toString() === '{"state":"offline"}',
    );
    expect(offline).toHaveLength(2);
  });

  it("exits 2 naming the missing token", async () => {
    const r = await runCli(["demo", "--api", api.url], { COLDTRAIL_ADMIN_TOKEN: "" });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "coldtrail-sim demo: --token is required (the server's admin token, COLDTRAIL_ADMIN_TOKEN)\n",
    );
  });
});

describe("probe connection", () => {
  it("sets the retained offline last will: the broker publishes it when the link dies", async () => {
    const unit = await createUnit({ baseUrl: api.url, token: TOKEN }, { name: "F", kind: "freezer" });
    const probe = await createProbe(
      { baseUrl: api.url, token: TOKEN },
      { unitId: unit.ok ? unit.value.id : "" },
    );
    if (!probe.ok) throw new Error(probe.reason);
    const { id, secret } = probe.value;
    const client = connectProbe({
      url: broker.url,
      probeId: id,
      username: id,
      password: secret,
      reconnectPeriodMs: 0,
    });
    expect(await waitConnected(client, 5000)).toEqual({ ok: true });
    await new Promise((r) => setTimeout(r, 100));
    client.stream.destroy(); // a crash, not a clean disconnect
    const t0 = Date.now();
    while (
      !broker.received.some(
        (m) => m.topic === statusTopic(id) && m.payload.toString() === '{"state":"offline"}',
      )
    )
      if (Date.now() - t0 > 3000) break;
      else await new Promise((r) => setTimeout(r, 20));
    client.end(true);
    // The will is published by the broker itself (no client), so read it back as a retained message.
    const watcher = await mqtt.connectAsync(broker.url, {
      username: id,
      password: secret,
      clientId: "watcher",
    });
    const got = await new Promise<string>((resolve) => {
      watcher.on("message", (_t, payload) => resolve(payload.toString()));
      watcher.subscribe(statusTopic(id));
    });
    await watcher.endAsync();
    expect(got).toBe('{"state":"offline"}');
  });

  it("reports refused credentials as such", async () => {
    const client = connectProbe({
      url: broker.url,
      probeId: "nobody-1",
      username: "nobody-1",
      password: "x",
    });
    const r = await waitConnected(client, 5000);
    expect(r).toMatchObject({
      ok: false,
      authRefused: true,
      reason: expect.stringMatching(/refused the credentials \(CONNACK 5/),
    });
  });
});
