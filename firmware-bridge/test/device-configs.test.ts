/**
 * The ready-made ESPHome and Tasmota configurations in firmware-bridge/devices: they must publish
 * to topics the protocol parses, with payloads its decoders accept, and keep everything else out
 * of coldtrail's subscriptions. What the firmwares send is reproduced from their documented
 * behaviour (ESPHome: the sensor state as text with accuracy_decimals; Tasmota: JSON telemetry on
 * tele/…/SENSOR, and a rule's Publish with %value% substituted), then pushed through a real aedes
 * broker and the protocol decoders.
 */
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join, resolve } from "node:path";
import {
  decodePlainValuePayload,
  decodeStatusPayload,
  PROBE_TOPIC_FILTERS,
  parseProbeTopic,
} from "@coldtrail/firmware-bridge/protocol";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";

const devices = resolve(import.meta.dirname, "../devices");
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** MQTT 3.1.1 §4.7 topic-filter matching, for the `+` and `#` wildcards. */
function matchesFilter(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
const reachesColdtrail = (topic: string): boolean => PROBE_TOPIC_FILTERS.some((f) => matchesFilter(f, topic));

// ---- ESPHome ------------------------------------------------------------------------------------

interface SecretRef {
  secret: string;
}
interface MqttMessageConfig {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}
interface EsphomeConfig {
  substitutions: Record<string, string>;
  api?: unknown;
  mqtt: {
    username: string;
    password: SecretRef;
    client_id: string;
    topic_prefix: string;
    discovery: boolean;
    discover_ip: boolean;
    log_topic: null;
    birth_message: MqttMessageConfig;
    will_message: MqttMessageConfig;
    shutdown_message: MqttMessageConfig;
  };
  sensor: Array<{
    platform: string;
    accuracy_decimals: number;
    state_topic: string;
    retain: boolean;
    qos: number;
    filters: Array<{ lambda?: string }>;
  }>;
}

/** ESPHome's `${name}` substitution, applied to every string in the document. */
function substitute(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === "string")
    return value.replace(/\$\{(\w+)\}/g, (_, k: string) => vars[k] ?? `\${${k}}`);
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  }
  return value;
}

async function loadEsphome(): Promise<EsphomeConfig> {
  const text = await readFile(join(devices, "esphome/coldtrail-ds18b20.yaml"), "utf8");
  const raw = YAML.parse(text, {
    customTags: [{ tag: "!secret", resolve: (name: string): SecretRef => ({ secret: name }) }],
  }) as EsphomeConfig;
  return substitute(raw, raw.substitutions) as EsphomeConfig;
}

/** What ESPHome's MQTT sensor publishes: the state rounded to accuracy_decimals, as text. */
const esphomeStatePayload = (celsius: number, decimals: number): string => celsius.toFixed(decimals);

describe("ESPHome configuration", () => {
  let cfg: EsphomeConfig;
  beforeAll(async () => {
    cfg = await loadEsphome();
  });

  it("authenticates as the probe and keeps every default topic under the probe's own space", () => {
    const probeId = cfg.substitutions.probe_id ?? "";
    expect(probeId).toBe("esphome-freezer-01");
    expect(cfg.mqtt.username).toBe(probeId);
    expect(cfg.mqtt.client_id).toBe(probeId);
    expect(cfg.mqtt.password).toEqual({ secret: "coldtrail_probe_secret" });
    expect(cfg.mqtt.topic_prefix).toBe(`coldtrail/v1/probes/${probeId}`);
    expect(cfg.mqtt.discovery).toBe(false);
    expect(cfg.mqtt.discover_ip).toBe(false);
    expect(cfg.mqtt.log_topic).toBeNull();
    // With MQTT and no api: block ESPHome does not reboot for want of a native-API client.
    expect(cfg.api).toBeUndefined();
  });

  it("birth, will and shutdown messages are retained status messages the protocol accepts", () => {
    const probeId = cfg.substitutions.probe_id;
    const expected = {
      birth_message: { state: "online", fw: "esphome" },
      will_message: { state: "offline" },
      shutdown_message: { state: "offline" },
    } as const;
    for (const [key, value] of Object.entries(expected)) {
      const m = cfg.mqtt[key as keyof typeof expected];
      expect(parseProbeTopic(m.topic)).toEqual({ ok: true, probeId, kind: "status" });
      expect(m.retain).toBe(true);
      expect(m.qos).toBe(1);
      expect(decodeStatusPayload(bytes(m.payload))).toEqual({ ok: true, value });
    }
  });

  it("the DS18B20 state goes, unretained, to the plain-value topic and every 1/16 °C step decodes exactly", () => {
    const [sensor] = cfg.sensor;
    if (!sensor) throw new Error("no sensor in the ESPHome config");
    expect(sensor.platform).toBe("dallas_temp");
    expect(parseProbeTopic(sensor.state_topic)).toEqual({
      ok: true,
      probeId: cfg.substitutions.probe_id,
      kind: "temp_c",
    });
    expect(sensor.retain).toBe(false);
    expect(sensor.accuracy_decimals).toBe(4);
    for (let raw = -55 * 16; raw <= 10 * 16; raw++) {
      const payload = esphomeStatePayload(raw / 16, sensor.accuracy_decimals);
      const d = decodePlainValuePayload(bytes(payload));
      expect(d, payload).toEqual({ ok: true, value: raw / 16 });
    }
    expect(esphomeStatePayload(-18.4375, sensor.accuracy_decimals)).toBe("-18.4375");
  });

  it("the filter drops what the plain-value topic would refuse or mis-store (NaN, the 85 °C power-on value)", () => {
    const lambda = cfg.sensor[0]?.filters[0]?.lambda ?? "";
    expect(lambda).toContain("std::isnan(x)");
    expect(lambda).toContain("x == 85.0f");
    expect(lambda).toContain("return {};");
    // What ESPHome would publish for a failed read without the filter:
    expect(decodePlainValuePayload(bytes("nan"))).toMatchObject({ ok: false, reason: "not_json" });
    // 85 passes the schema, so only the device-side filter keeps it out of the store.
    expect(decodePlainValuePayload(bytes(esphomeStatePayload(85, 4))).ok).toBe(true);
  });
});

// ---- Tasmota ------------------------------------------------------------------------------------

interface TasmotaSetup {
  commands: Map<string, string>;
  rules: Array<{ trigger: string; command: string }>;
}

async function loadTasmota(): Promise<TasmotaSetup> {
  const text = await readFile(join(devices, "tasmota/coldtrail-ds18b20.txt"), "utf8");
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
  const commands = new Map<string, string>();
  const rules: TasmotaSetup["rules"] = [];
  for (const line of lines) {
    if (line.startsWith("Backlog ")) {
      for (const cmd of line.slice("Backlog ".length).split(";")) {
        const [name = "", ...rest] = cmd.trim().split(" ");
        commands.set(name, rest.join(" "));
      }
    } else if (/^Rule1 ON /.test(line)) {
      // Tasmota rule syntax: ON <trigger> DO <command> ENDON, repeated.
      for (const m of line.slice("Rule1 ".length).matchAll(/ON (\S+) DO (.+?) ENDON/g)) {
        rules.push({ trigger: m[1] ?? "", command: m[2] ?? "" });
      }
    } else {
      const [name = "", ...rest] = line.trim().split(" ");
      commands.set(name, rest.join(" "));
    }
  }
  return { commands, rules };
}

interface Published {
  topic: string;
  payload: string;
  retain: boolean;
}

/** Tasmota's FullTopic expansion: %prefix% and %topic% substituted, then the last level appended. */
const tasmotaTopic = (fullTopic: string, prefix: string, topic: string, last: string): string =>
  fullTopic.replace("%prefix%", prefix).replace("%topic%", topic) + last;

/** Runs the rule set against one event as Tasmota would: %value% is the trigger's value as text. */
function fireRules(setup: TasmotaSetup, event: string, telemetry?: Record<string, unknown>): Published[] {
  const out: Published[] = [];
  for (const rule of setup.rules) {
    let value: string | undefined;
    if (rule.trigger === event) value = "";
    const tele = /^Tele-(\w+)#(\w+)$/.exec(rule.trigger);
    if (telemetry && tele && event === "tele") {
      const sensor = telemetry[tele[1] ?? ""] as Record<string, unknown> | undefined;
      const v = sensor?.[tele[2] ?? ""];
      if (v !== undefined) value = String(v);
    }
    if (value === undefined) continue;
    const m = /^(Publish2?) (\S+) (.+)$/.exec(rule.command.replaceAll("%value%", value));
    if (!m) throw new Error(`rule command is not a Publish: ${rule.command}`);
    out.push({ topic: m[2] ?? "", payload: m[3] ?? "", retain: m[1] === "Publish2" });
  }
  return out;
}

/** Tasmota's DS18B20 telemetry (xsns_05_ds18x20): one sensor is named "DS18B20"; TempRes decimals. */
const tasmotaTelemetry = (celsius: number, tempRes: number) => ({
  Time: "2026-05-03T14:00:00",
  DS18B20: { Id: "01144A0CB2AA", Temperature: Number(celsius.toFixed(tempRes)) },
  TempUnit: "C",
});

describe("Tasmota configuration", () => {
  let setup: TasmotaSetup;
  let probeId: string;
  beforeAll(async () => {
    setup = await loadTasmota();
    probeId = setup.commands.get("Topic") ?? "";
  });

  it("authenticates as the probe and roots every Tasmota topic in the probe's own space", () => {
    expect(probeId).toBe("tasmota-freezer-01");
    expect(setup.commands.get("MqttUser")).toBe(probeId);
    expect(setup.commands.get("MqttClient")).toBe(probeId);
    expect(setup.commands.get("MqttPassword")).toBe("PROBE_SECRET");
    expect(setup.commands.get("FullTopic")).toBe("coldtrail/v1/probes/%topic%/%prefix%/");
    expect(setup.commands.get("TelePeriod")).toBe("60");
    expect(setup.commands.get("Rule1")).toBe("1");
  });

  it("its own telemetry, state and will stay out of coldtrail's subscriptions", () => {
    const full = setup.commands.get("FullTopic") ?? "";
    const own = ["SENSOR", "STATE", "LWT", "INFO1"].map((l) => tasmotaTopic(full, "tele", probeId, l));
    own.push(tasmotaTopic(full, "stat", probeId, "RESULT"));
    for (const topic of own) {
      expect(topic.startsWith(`coldtrail/v1/probes/${probeId}/`)).toBe(true);
      expect(reachesColdtrail(topic)).toBe(false);
      expect(parseProbeTopic(topic)).toMatchObject({ ok: false, reason: "bad_topic" });
    }
    // Why the rule exists: the telemetry JSON is not a plain value.
    const sensorJson = JSON.stringify(tasmotaTelemetry(-18.25, 2));
    expect(decodePlainValuePayload(bytes(sensorJson))).toMatchObject({ ok: false, reason: "not_json" });
  });

  it("the rule republishes the bare DS18B20 value, unretained, at each telemetry period only", () => {
    const tempRes = Number(setup.commands.get("TempRes"));
    for (const celsius of [-18.25, -18.4375, -0.0625, 3.9375, -55]) {
      const sent = fireRules(setup, "tele", tasmotaTelemetry(celsius, tempRes));
      expect(sent).toHaveLength(1);
      const [msg] = sent;
      if (!msg) throw new Error("no message");
      expect(parseProbeTopic(msg.topic)).toEqual({ ok: true, probeId, kind: "temp_c" });
      expect(msg.retain).toBe(false);
      expect(decodePlainValuePayload(bytes(msg.payload))).toEqual({
        ok: true,
        value: Number(celsius.toFixed(tempRes)),
      });
    }
    // Without the Tele- prefix the rule would fire on every per-second sensor read.
    expect(setup.rules.find((r) => r.command.includes("/temp_c"))?.trigger).toBe("Tele-DS18B20#Temperature");
    // A disconnected DS18B20 disappears from the telemetry: nothing is published.
    expect(fireRules(setup, "tele", { Time: "2026-05-03T14:01:00", TempUnit: "C" })).toEqual([]);
  });

  it("publishes a retained online status on every MQTT connect", () => {
    const sent = fireRules(setup, "Mqtt#Connected");
    expect(sent).toHaveLength(1);
    const [msg] = sent;
    expect(msg && parseProbeTopic(msg.topic)).toEqual({ ok: true, probeId, kind: "status" });
    expect(msg?.retain).toBe(true);
    expect(msg && decodeStatusPayload(bytes(msg.payload))).toEqual({
      ok: true,
      value: { state: "online", fw: "tasmota" },
    });
  });
});

// ---- Through a real broker ----------------------------------------------------------------------

describe("both device configurations through a real MQTT broker", () => {
  let broker: Aedes;
  let server: Server;
  let url = "";

  beforeAll(async () => {
    broker = await Aedes.createBroker();
    server = createServer(broker.handle);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const address = server.address();
    url = `mqtt://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("coldtrail receives the plain values and statuses, not the Tasmota telemetry; only statuses are retained", async () => {
    const esphome = await loadEsphome();
    const tasmota = await loadTasmota();
    const tasmotaId = tasmota.commands.get("Topic") ?? "";
    const full = tasmota.commands.get("FullTopic") ?? "";
    const tempRes = Number(tasmota.commands.get("TempRes"));
    const sensor = esphome.sensor[0];
    if (!sensor) throw new Error("no sensor");
    const messages: Published[] = [
      { ...esphome.mqtt.birth_message },
      {
        topic: sensor.state_topic,
        payload: esphomeStatePayload(-18.4375, sensor.accuracy_decimals),
        retain: sensor.retain,
      },
      ...fireRules(tasmota, "Mqtt#Connected"),
      {
        topic: tasmotaTopic(full, "tele", tasmotaId, "SENSOR"),
        payload: JSON.stringify(tasmotaTelemetry(-18.25, tempRes)),
        retain: false,
      },
      { topic: tasmotaTopic(full, "tele", tasmotaId, "LWT"), payload: "Online", retain: true },
      ...fireRules(tasmota, "tele", tasmotaTelemetry(-18.25, tempRes)),
    ];

    const live = await mqtt.connectAsync(url, { clientId: "coldtrail-live" });
    await live.subscribeAsync([...PROBE_TOPIC_FILTERS], { qos: 1 });
    const received: Published[] = [];
    live.on("message", (topic, payload, packet) => {
      received.push({ topic, payload: payload.toString(), retain: packet.retain });
    });
    const device = await mqtt.connectAsync(url, { clientId: "device" });
    for (const m of messages) await device.publishAsync(m.topic, m.payload, { qos: 1, retain: m.retain });
    await device.endAsync();
    await expect.poll(() => received.length).toBe(4);
    expect(received.map((r) => r.topic).sort()).toEqual(
      [
        `coldtrail/v1/probes/${esphome.substitutions.probe_id}/status`,
        `coldtrail/v1/probes/${esphome.substitutions.probe_id}/temp_c`,
        `coldtrail/v1/probes/${tasmotaId}/status`,
        `coldtrail/v1/probes/${tasmotaId}/temp_c`,
      ].sort(),
    );
    for (const r of received) {
      const parsed = parseProbeTopic(r.topic);
      if (!parsed.ok) throw new Error(parsed.message);
      const decoded =
        parsed.kind === "status"
          ? decodeStatusPayload(bytes(r.payload))
          : decodePlainValuePayload(bytes(r.payload));
      expect(decoded.ok, `${r.topic}: ${r.payload}`).toBe(true);
    }
    await live.endAsync();

    // A server that (re)subscribes later gets the retained statuses only: no stale temperature that
    // it would stamp with the arrival time.
    const late = await mqtt.connectAsync(url, { clientId: "coldtrail-late" });
    const retained: Published[] = [];
    late.on("message", (topic, payload, packet) => {
      retained.push({ topic, payload: payload.toString(), retain: packet.retain });
    });
    await late.subscribeAsync([...PROBE_TOPIC_FILTERS], { qos: 1 });
    await expect.poll(() => retained.length).toBe(2);
    await new Promise((r) => setTimeout(r, 100));
    expect(
      retained.every((r) => r.retain && parseProbeTopic(r.topic).ok && r.topic.endsWith("/status")),
    ).toBe(true);
    expect(retained).toHaveLength(2);
    await late.endAsync();
  });
});
