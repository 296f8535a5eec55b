import { createServer, type Server } from "node:net";
import { Aedes } from "aedes";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isMosquittoInstalled, type MosquittoHarness, startMosquitto } from "../../test/mosquitto.js";
import {
  createMosquittoProvisioner,
  DynsecConnectError,
  type MosquittoProvisioner,
  probeRoleAcls,
  probeRoleName,
  SERVER_ROLE,
  serverRoleAcls,
} from "../src/broker/mosquitto-dynsec.js";
import { createLogger } from "../src/logger.js";

/**
 * The dynsec provisioner against a real Mosquitto 2.0 with the production mosquitto.conf: what a
 * provisioned probe may and may not do is checked by connecting as that probe (MQTT 5, so that
 * Mosquitto reports a refused PUBLISH in the PUBACK instead of dropping it silently).
 */
const skip = process.env.COLDTRAIL_SKIP_MOSQUITTO === "1" || !isMosquittoInstalled();
const log = createLogger(process.env.COLDTRAIL_TEST_LOG ?? "silent");
/** MQTT 5 reason code 0x87 "Not authorized" (MQTT 5.0 §2.4, table 2-6). */
const NOT_AUTHORIZED = 0x87;

async function connect(
  url: string,
  username: string,
  password: string,
  extra: IClientOptions = {},
): Promise<MqttClient> {
  const c = mqtt.connect(url, {
    username,
    password,
    clientId: `t-${username}-${Math.random().toString(36).slice(2, 8)}`,
    protocolVersion: 5,
    reconnectPeriod: 0,
    ...extra,
  });
  await new Promise<void>((resolve, reject) => {
    c.once("connect", () => resolve());
    c.once("error", (e) => {
      c.end(true);
      reject(e);
    });
  });
  return c;
}

/** The reason code of the PUBACK (0 = accepted); mqtt.js rejects codes ≥ 0x80 with the code attached. */
async function publishReason(c: MqttClient, topic: string, payload: string): Promise<number> {
  try {
    const packet = await c.publishAsync(topic, payload, { qos: 1 });
    return (packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "number") return code;
    throw e;
  }
}

/** The SUBACK codes, one per filter (mqtt.js rejects a SUBACK with any failure but attaches it). */
async function subackCodes(c: MqttClient, filters: string[]): Promise<number[]> {
  try {
    return (await c.subscribeAsync(filters, { qos: 1 })).map((g) => g.qos);
  } catch (e) {
    const granted = (e as { packet?: { granted?: number[] } }).packet?.granted;
    if (Array.isArray(granted)) return granted;
    throw e;
  }
}

function closed(c: MqttClient, withinMs = 3000): Promise<boolean> {
  if (!c.connected) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), withinMs);
    c.once("close", () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

describe.skipIf(skip)("Mosquitto dynsec provisioner", () => {
  let m: MosquittoHarness;
  let prov: MosquittoProvisioner;
  const clients: MqttClient[] = [];
  const keep = (c: MqttClient) => {
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    m = await startMosquitto();
    prov = await createMosquittoProvisioner({ url: m.url, ...m.admin, log });
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await prov?.close();
    await m?.dispose();
  });

  it("a provisioned probe publishes and subscribes under its own id only", async () => {
    expect(await prov.ensureProbe("p-alpha", "secret-alpha-0123456789")).toEqual({ ok: true });
    expect(await prov.ensureProbe("p-beta", "secret-beta-0123456789")).toEqual({ ok: true });
    const alpha = keep(await connect(m.url, "p-alpha", "secret-alpha-0123456789"));

    expect(await publishReason(alpha, "coldtrail/v1/probes/p-alpha/readings", "{}")).toBe(0);
    expect(await publishReason(alpha, "coldtrail/v1/probes/p-alpha/status", "{}")).toBe(0);
    expect(await publishReason(alpha, "coldtrail/v1/probes/p-beta/readings", "{}")).toBe(NOT_AUTHORIZED);
    expect(await publishReason(alpha, "coldtrail/v1/alerts/u-1", "{}")).toBe(NOT_AUTHORIZED);
    expect(await publishReason(alpha, "elsewhere", "{}")).toBe(NOT_AUTHORIZED);

    expect(
      await subackCodes(alpha, [
        "coldtrail/v1/probes/p-alpha/#",
        "coldtrail/v1/probes/p-beta/readings",
        "coldtrail/v1/probes/+/readings",
        "#",
      ]),
    ).toEqual([1, NOT_AUTHORIZED, NOT_AUTHORIZED, NOT_AUTHORIZED]);
  });

  it("refuses a wrong secret and an unknown probe at CONNECT", async () => {
    await expect(connect(m.url, "p-alpha", "not-the-secret")).rejects.toThrow(/not authori[sz]ed|bad user/i);
    await expect(connect(m.url, "p-nobody", "whatever")).rejects.toThrow(/not authori[sz]ed|bad user/i);
  });

  it("stores exactly the ACLs of probeRoleAcls, and ensureProbe is idempotent", async () => {
    expect(await prov.ensureProbe("p-gamma", "secret-gamma-0123456789")).toEqual({ ok: true });
    // Someone widened the role by hand; ensureProbe puts it back.
    await prov.send({
      command: "addRoleACL",
      rolename: probeRoleName("p-gamma"),
      acltype: "publishClientSend",
      topic: "#",
      allow: true,
    });
    expect(await prov.ensureProbe("p-gamma", "secret-gamma-0123456789")).toEqual({ ok: true });
    const role = await prov.send({ command: "getRole", rolename: probeRoleName("p-gamma") });
    expect(role.ok).toBe(true);
    const acls = (
      (role.ok &&
        (role.response.data as { role: { acls: { acltype: string; topic: string; allow: boolean }[] } }).role
          .acls) ||
      []
    )
      .map((a) => ({ acltype: a.acltype, topic: a.topic, allow: a.allow }))
      .sort((a, b) => a.acltype.localeCompare(b.acltype));
    expect(acls).toEqual(probeRoleAcls("p-gamma").sort((a, b) => a.acltype.localeCompare(b.acltype)));
    const client = await prov.send({ command: "getClient", username: "p-gamma" });
    expect(
      client.ok && (client.response.data as { client: { roles: { rolename: string }[] } }).client.roles,
    ).toEqual([{ rolename: probeRoleName("p-gamma") }]);
  });

  it("a new secret replaces the old one and ends sessions opened with it", async () => {
    expect(await prov.ensureProbe("p-rotate", "old-secret-0123456789")).toEqual({ ok: true });
    const old = keep(await connect(m.url, "p-rotate", "old-secret-0123456789"));
    const gone = closed(old);
    expect(await prov.ensureProbe("p-rotate", "new-secret-0123456789")).toEqual({ ok: true });
    expect(await gone).toBe(true);
    await expect(connect(m.url, "p-rotate", "old-secret-0123456789")).rejects.toThrow(
      /not authori[sz]ed|bad user/i,
    );
    const fresh = keep(await connect(m.url, "p-rotate", "new-secret-0123456789"));
    expect(await publishReason(fresh, "coldtrail/v1/probes/p-rotate/readings", "{}")).toBe(0);
  });

  it("removeProbe disconnects the probe, deletes client and role, and is idempotent", async () => {
    expect(await prov.ensureProbe("p-gone", "secret-gone-0123456789")).toEqual({ ok: true });
    const c = keep(await connect(m.url, "p-gone", "secret-gone-0123456789"));
    const gone = closed(c);
    expect(await prov.removeProbe("p-gone")).toEqual({ ok: true });
    expect(await gone).toBe(true);
    await expect(connect(m.url, "p-gone", "secret-gone-0123456789")).rejects.toThrow(
      /not authori[sz]ed|bad user/i,
    );
    const role = await prov.send({ command: "getRole", rolename: probeRoleName("p-gone") });
    expect(role.ok && role.response.error).toBe("Role not found");
    expect(await prov.removeProbe("p-gone")).toEqual({ ok: true });
    const list = await prov.listClients();
    expect(list.ok && list.usernames).not.toContain("p-gone");
    expect(list.ok && list.usernames).toContain("p-alpha");
  });

  it("the server's client reads every probe's topics and publishes alerts, but cannot pose as a probe", async () => {
    expect(await prov.ensureServerClient("coldtrail-server", "server-password-0123456789")).toEqual({
      ok: true,
    });
    expect(await prov.ensureServerClient("coldtrail-server", "server-password-0123456789")).toEqual({
      ok: true,
    });
    const role = await prov.send({ command: "getRole", rolename: SERVER_ROLE });
    expect(role.ok && (role.response.data as { role: { acls: unknown[] } }).role.acls).toHaveLength(
      serverRoleAcls().length,
    );
    const srv = keep(await connect(m.url, "coldtrail-server", "server-password-0123456789"));
    expect(
      await subackCodes(srv, [
        "coldtrail/v1/probes/+/readings",
        "coldtrail/v1/probes/+/temp_c",
        "coldtrail/v1/probes/+/status",
        "$CONTROL/#",
      ]),
    ).toEqual([1, 1, 1, NOT_AUTHORIZED]);
    const got = new Promise<string>((resolve) => srv.once("message", (topic) => resolve(topic)));
    const alpha = keep(await connect(m.url, "p-alpha", "secret-alpha-0123456789"));
    await alpha.publishAsync("coldtrail/v1/probes/p-alpha/readings", "{}", { qos: 1 });
    expect(await got).toBe("coldtrail/v1/probes/p-alpha/readings");
    expect(await publishReason(srv, "coldtrail/v1/alerts/u-1", "{}")).toBe(0);
    expect(await publishReason(srv, "coldtrail/v1/probes/p-alpha/readings", "{}")).toBe(NOT_AUTHORIZED);
  });

  it("refuses ids that are not probe ids without asking Mosquitto", async () => {
    expect(await prov.ensureProbe("p/+/#", "x")).toMatchObject({ ok: false, reason: "bad_probe_id" });
    expect(await prov.ensureProbe("ab", "x")).toMatchObject({ ok: false, reason: "bad_probe_id" });
    expect(await prov.removeProbe("#")).toMatchObject({ ok: false, reason: "bad_probe_id" });
  });

  it("a dynsec command Mosquitto refuses comes back as a reason naming the command", async () => {
    const r = await prov.send({ command: "noSuchCommand" });
    expect(r).toMatchObject({ ok: true, response: { command: "noSuchCommand", error: "Unknown command" } });
  });

  it("wrong admin credentials and a non-admin login are refused with a message saying what to fix", async () => {
    await expect(
      createMosquittoProvisioner({ url: m.url, username: m.admin.username, password: "wrong", log }),
    ).rejects.toThrow(DynsecConnectError);
    await expect(
      createMosquittoProvisioner({ url: m.url, username: m.admin.username, password: "wrong", log }),
    ).rejects.toThrow(
      /refused the dynsec admin login for "coldtrail-admin".*check the admin username and password/,
    );
    await expect(
      createMosquittoProvisioner({
        url: m.url,
        username: "p-alpha",
        password: "secret-alpha-0123456789",
        log,
      }),
    ).rejects.toThrow(/may not subscribe to \$CONTROL\/dynamic-security\/v1\/response/);
  });

  it("says when Mosquitto is unreachable, and when it went away", async () => {
    await expect(
      createMosquittoProvisioner({ url: "mqtt://127.0.0.1:1", username: "a", password: "b", log }),
    ).rejects.toThrow(/cannot reach Mosquitto at mqtt:\/\/127\.0\.0\.1:1/);
    const own = await startMosquitto();
    try {
      const p = await createMosquittoProvisioner({ url: own.url, ...own.admin, log, timeoutMs: 1000 });
      await own.stop();
      await new Promise((r) => setTimeout(r, 100));
      expect(await p.ensureProbe("p-later", "secret")).toMatchObject({ ok: false, reason: "not_connected" });
      await p.close();
    } finally {
      await own.dispose();
    }
  });

  it("works with a dynsec file written without mosquitto_ctrl (PBKDF2-SHA512 admin password)", async () => {
    const own = await startMosquitto({ dynsecInit: "json" });
    try {
      const p = await createMosquittoProvisioner({ url: own.url, ...own.admin, log });
      expect(await p.ensureProbe("p-json", "secret-json-0123456789")).toEqual({ ok: true });
      const c = await connect(own.url, "p-json", "secret-json-0123456789");
      expect(await publishReason(c, "coldtrail/v1/probes/p-json/readings", "{}")).toBe(0);
      c.end(true);
      await p.close();
    } finally {
      await own.dispose();
    }
  });
});

describe("dynsec provisioner against a broker without the plugin", () => {
  let server: Server;
  let aedes: Aedes;
  beforeAll(async () => {
    aedes = await Aedes.createBroker();
    server = createServer(aedes.handle);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  });
  afterAll(async () => {
    await new Promise<void>((r) => aedes.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("times out with a reason that points at the plugin", async () => {
    const a = server.address();
    const port = typeof a === "object" && a ? a.port : 0;
    const p = await createMosquittoProvisioner({
      url: `mqtt://127.0.0.1:${port}`,
      username: "x",
      password: "y",
      log,
      timeoutMs: 300,
    });
    const r = await p.ensureProbe("p-nowhere", "secret");
    expect(r).toMatchObject({ ok: false, reason: "timeout" });
    expect(!r.ok && r.message).toMatch(
      /did not answer dynsec createRole within 300 ms: is the dynamic security plugin loaded/,
    );
    await p.close();
  });
});
