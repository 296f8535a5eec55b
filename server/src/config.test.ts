import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

describe("configuration from the environment", () => {
  it("has the documented defaults", () => {
    const c = loadConfig({});
    expect(c.http.port).toBe(8080);
    expect(c.mqtt).toMatchObject({ port: 1883, url: undefined });
    expect(c.dataDir).toBe("./data");
    expect(c.store).toEqual({ kind: "sqlite" });
    expect(c.adminToken).toBeUndefined();
    // Issue #14: this machine only, no CORS, public webhook targets only.
    expect(c.http).toMatchObject({ host: "127.0.0.1", corsOrigins: [], trustProxy: false });
    expect(c.webhooks).toEqual({ allowPrivate: false });
  });

  it("reads the exposure settings", () => {
    const c = loadConfig({ COLDTRAIL_HTTP_HOST: "0.0.0.0", COLDTRAIL_WEBHOOK_ALLOW_PRIVATE: "1" });
    expect(c.http.host).toBe("0.0.0.0");
    expect(c.webhooks.allowPrivate).toBe(true);
  });

  it("reads the reverse proxies to believe", () => {
    expect(loadConfig({ COLDTRAIL_TRUST_PROXY: "127.0.0.1,10.0.0.0/8" }).http.trustProxy).toEqual([
      "127.0.0.1",
      "10.0.0.0/8",
    ]);
    expect(loadConfig({ COLDTRAIL_TRUST_PROXY: "2" }).http.trustProxy).toBe(2);
  });

  it("writes times in emails and webhooks in COLDTRAIL_TIME_ZONE, else in the server's own zone", () => {
    expect(loadConfig({ COLDTRAIL_TIME_ZONE: "America/New_York" }).timeZone).toBe("America/New_York");
    expect(loadConfig({}).timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  it("reads the InfluxDB store", () => {
    expect(
      loadConfig({
        COLDTRAIL_STORE: "influx",
        COLDTRAIL_INFLUX_URL: "http://127.0.0.1:8086",
        COLDTRAIL_INFLUX_TOKEN: "t",
      }).store,
    ).toEqual({
      kind: "influx",
      url: "http://127.0.0.1:8086",
      database: "coldtrail",
      token: "t",
    });
  });

  it.each([
    [{ COLDTRAIL_STORE: "influxdb" }, /COLDTRAIL_STORE must be "sqlite" or "influx", got "influxdb"/],
    [{ COLDTRAIL_HTTP_PORT: "eighty" }, /COLDTRAIL_HTTP_PORT/],
    [
      { COLDTRAIL_MQTT_PORT: "70000" },
      /COLDTRAIL_MQTT_PORT: COLDTRAIL_MQTT_PORT must be 0-65535 \(got "70000"\)/,
    ],
    [{ COLDTRAIL_MQTT_URL: "localhost:1883" }, /COLDTRAIL_MQTT_URL must be a URL starting with mqtt:\/\//],
    [{ COLDTRAIL_STORE: "influx" }, /COLDTRAIL_INFLUX_URL is required when COLDTRAIL_STORE is "influx"/],
    [{ COLDTRAIL_ADMIN_TOKEN: "short" }, /COLDTRAIL_ADMIN_TOKEN must be at least 16 characters/],
    [{ COLDTRAIL_INFLUX_DB: "a b" }, /COLDTRAIL_INFLUX_DB must be 1-64 characters/],
    [{ COLDTRAIL_WEBHOOK_ALLOW_PRIVATE: "yes" }, /COLDTRAIL_WEBHOOK_ALLOW_PRIVATE must be 0 or 1/],
    [{ COLDTRAIL_CORS_ORIGINS: "*" }, /COLDTRAIL_CORS_ORIGINS must list origins like https:\/\/hub.example/],
    [{ COLDTRAIL_TRUST_PROXY: "true" }, /COLDTRAIL_TRUST_PROXY: "true" is not an IP address or CIDR/],
    [
      { COLDTRAIL_MQTT_SHARE_GROUP: "a/b" },
      /COLDTRAIL_MQTT_SHARE_GROUP must be 1-64 characters of \[A-Za-z0-9_-\]/,
    ],
    [{ COLDTRAIL_MQTT_INGEST_CLIENTS: "0" }, /COLDTRAIL_MQTT_INGEST_CLIENTS must be 1-64/],
    [{ COLDTRAIL_MQTT_PROTOCOL: "3" }, /COLDTRAIL_MQTT_PROTOCOL must be "5" or "3.1.1"/],
    [{ COLDTRAIL_MQTT_ADOPT_AFTER_S: "0" }, /COLDTRAIL_MQTT_ADOPT_AFTER_S must be 1-86400 seconds, or "off"/],
    [{ COLDTRAIL_MQTT_ADOPT_AFTER_S: "soon" }, /COLDTRAIL_MQTT_ADOPT_AFTER_S must be/],
    [
      { COLDTRAIL_MQTT_JUDGE_SESSION_EXPIRY_S: "0" },
      /COLDTRAIL_MQTT_JUDGE_SESSION_EXPIRY_S must be 1-86400 seconds/,
    ],
    [{ COLDTRAIL_MQTT_INGEST_CLIENT_ID: "a b" }, /COLDTRAIL_MQTT_INGEST_CLIENT_ID must be 1-60 characters/],
    [
      { COLDTRAIL_TIME_ZONE: "Europe/Londn" },
      /COLDTRAIL_TIME_ZONE must be an IANA time zone name.*Europe\/Londn/,
    ],
  ])("refuses %o naming the variable", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("reads the external broker's ingest: one plain subscription unless a share group is set", () => {
    expect(loadConfig({}).mqtt.ingest).toEqual({
      clients: 4,
      shareGroup: undefined,
      clientId: "coldtrail-ingest",
      // read-window.ts: 100 made the commit-and-fsync round, not the CPU, the limit of a backlog drain.
      receiveMaximum: 2000,
      protocol: "5",
      adoptAfterS: 60,
      judgeSessionExpiryS: 300,
    });
    expect(
      loadConfig({
        COLDTRAIL_MQTT_SHARE_GROUP: "coldtrail",
        COLDTRAIL_MQTT_INGEST_CLIENTS: "8",
        COLDTRAIL_MQTT_INGEST_CLIENT_ID: "ingest-b",
        COLDTRAIL_MQTT_RECEIVE_MAXIMUM: "500",
        COLDTRAIL_MQTT_PROTOCOL: "3.1.1",
        COLDTRAIL_MQTT_ADOPT_AFTER_S: "off",
        COLDTRAIL_MQTT_JUDGE_SESSION_EXPIRY_S: "30",
      }).mqtt.ingest,
    ).toEqual({
      clients: 8,
      shareGroup: "coldtrail",
      clientId: "ingest-b",
      receiveMaximum: 500,
      protocol: "3.1.1",
      adoptAfterS: null,
      judgeSessionExpiryS: 30,
    });
    expect(loadConfig({ COLDTRAIL_MQTT_ADOPT_AFTER_S: "5" }).mqtt.ingest.adoptAfterS).toBe(5);
  });

  it("never echoes a secret it refuses", () => {
    expect(() => loadConfig({ COLDTRAIL_ADMIN_TOKEN: "hunter2" })).not.toThrow(/hunter2/);
  });

  it("stops the server process at start with exit 2 and the variable's name", async () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
    const err = await promisify(execFile)(process.execPath, ["--import", "tsx", "server/src/main.ts"], {
      cwd: root,
      env: { ...process.env, COLDTRAIL_STORE: "postgres" },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toMatch(
      /COLDTRAIL_STORE must be "sqlite" or "influx", got "postgres"/,
    );
  });
});

describe("the shared registry's database and unit leases (issue #13)", () => {
  it("keeps the registry in the data folder's SQLite file unless COLDTRAIL_DATABASE_URL names a PostgreSQL", () => {
    expect(loadConfig({}).database).toEqual({ kind: "sqlite" });
    for (const url of [
      "postgres://coldtrail:pw@db:5432/coldtrail",
      "postgresql://db/coldtrail?sslmode=require",
    ]) {
      expect(loadConfig({ COLDTRAIL_DATABASE_URL: url }).database).toEqual({ kind: "postgres", url });
    }
  });

  it.each([
    [
      "mysql://u:hunter22@db/coldtrail",
      /must start with postgres:\/\/ or postgresql:\/\/ \(got mysql:\/\/\)/,
    ],
    ["db:5432/coldtrail", /must start with postgres:\/\/ or postgresql:\/\//],
    [
      "not a url",
      /COLDTRAIL_DATABASE_URL is not a URL: write it like postgres:\/\/user:password@host:5432\/coldtrail/,
    ],
    ["postgres://u:hunter22@db:5432/", /COLDTRAIL_DATABASE_URL must name one database after the host/],
    ["postgres:///coldtrail", /COLDTRAIL_DATABASE_URL names no host/],
  ])("refuses COLDTRAIL_DATABASE_URL=%s naming the variable, never showing the password", (url, message) => {
    expect(() => loadConfig({ COLDTRAIL_DATABASE_URL: url })).toThrow(message);
    expect(() => loadConfig({ COLDTRAIL_DATABASE_URL: url })).not.toThrow(/hunter22/);
  });

  it("shows a refused URL with its password masked", () => {
    expect(() => loadConfig({ COLDTRAIL_DATABASE_URL: "mysql://u:hunter22@db/coldtrail" })).toThrow(
      '(got "mysql://u:***@db/coldtrail")',
    );
  });

  it("lets a lease live 15 s by default, and names each instance (a new name per process unless set)", () => {
    const a = loadConfig({});
    const b = loadConfig({});
    expect(a.ha.leaseTtlMs).toBe(15_000);
    expect(a.ha.instanceId).toMatch(new RegExp(`/${process.pid}/[0-9a-f]{8}$`));
    expect(b.ha.instanceId).not.toBe(a.ha.instanceId);
    expect(loadConfig({ COLDTRAIL_LEASE_TTL_S: "30", COLDTRAIL_INSTANCE_ID: "ward-2" }).ha).toEqual({
      instanceId: "ward-2",
      leaseTtlMs: 30_000,
    });
  });

  it.each([
    [
      { COLDTRAIL_LEASE_TTL_S: "2" },
      /COLDTRAIL_LEASE_TTL_S must be 3-3600 seconds \(leases are renewed every third of it\)/,
    ],
    [{ COLDTRAIL_LEASE_TTL_S: "1.5" }, /COLDTRAIL_LEASE_TTL_S must be a whole number of seconds/],
    [{ COLDTRAIL_LEASE_TTL_S: "soon" }, /COLDTRAIL_LEASE_TTL_S must be a number of seconds/],
    [{ COLDTRAIL_INSTANCE_ID: "ward 2" }, /COLDTRAIL_INSTANCE_ID must be 1-100 characters/],
  ])("refuses %o naming the variable", (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe("MQTT limits of the embedded broker (issue #14)", () => {
  it("binds 127.0.0.1 and caps connections by default, without TLS", () => {
    expect(loadConfig({}).mqtt).toMatchObject({
      host: "127.0.0.1",
      limits: { maxConnections: 20_000, maxConnectionsPerProbe: 2 },
      tls: undefined,
    });
  });

  it("reads the address, the caps and the mqtts listener", () => {
    expect(
      loadConfig({
        COLDTRAIL_MQTT_HOST: "0.0.0.0",
        COLDTRAIL_MQTT_MAX_CONNECTIONS: "500",
        COLDTRAIL_MQTT_MAX_CONNECTIONS_PER_PROBE: "1",
        COLDTRAIL_MQTT_TLS_CERT: "/etc/coldtrail/cert.pem",
        COLDTRAIL_MQTT_TLS_KEY: "/etc/coldtrail/key.pem",
        COLDTRAIL_MQTTS_PORT: "18883",
      }).mqtt,
    ).toMatchObject({
      host: "0.0.0.0",
      limits: { maxConnections: 500, maxConnectionsPerProbe: 1 },
      tls: { certFile: "/etc/coldtrail/cert.pem", keyFile: "/etc/coldtrail/key.pem", port: 18883 },
    });
    expect(
      loadConfig({ COLDTRAIL_MQTT_TLS_CERT: "c.pem", COLDTRAIL_MQTT_TLS_KEY: "k.pem" }).mqtt.tls?.port,
    ).toBe(8883);
  });

  it.each([
    [
      { COLDTRAIL_MQTT_MAX_CONNECTIONS: "0" },
      /COLDTRAIL_MQTT_MAX_CONNECTIONS must be at least 1 \(got "0"\)/,
    ],
    [
      { COLDTRAIL_MQTT_MAX_CONNECTIONS_PER_PROBE: "two" },
      /COLDTRAIL_MQTT_MAX_CONNECTIONS_PER_PROBE must be a whole number/,
    ],
    [
      { COLDTRAIL_MQTT_TLS_CERT: "c.pem" },
      /COLDTRAIL_MQTT_TLS_CERT and COLDTRAIL_MQTT_TLS_KEY .* must be set together/,
    ],
    [{ COLDTRAIL_MQTTS_PORT: "70000" }, /COLDTRAIL_MQTTS_PORT must be 0-65535/],
  ])("refuses %o naming the variable", (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
