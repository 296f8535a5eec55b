/**
 * Issue #14: hostile MQTT inputs, one case a row, run against the live server's embedded broker by
 * server/test/hostile-corpus.test.ts. No flood or limit cases (connection caps, rates, packet size
 * are another issue): only malformed packets and payloads that must already be refused cleanly.
 *
 * - `packet` cases are raw bytes on a fresh TCP connection (after a good CONNECT as the hostile
 *   probe when `afterConnect`): the server must close the connection, answer CONNACK with a refusal
 *   code, or answer SUBACK 0x80.
 * - `publish` cases are well-formed PUBLISH packets from the hostile probe (QoS 1): the message must
 *   be refused as a dead letter whose reason is counted in /metrics (`reason` when pinned), and the
 *   connection closed when `disconnect`. `replay` cases publish the same valid message three times:
 *   the reading is stored once. `fault` cases (an impossible temperature) are acknowledged and
 *   counted in coldtrail_ingest_fault_readings_total: the rules judge them as a sensor fault (issue
 *   #9). `ignored` cases (other telemetry under the probe's own prefix, protocol.md "Plain-value
 *   topic") are acknowledged and counted in coldtrail_ingest_ignored_total.
 */

export interface PacketCtx {
  self: string;
  secret: string;
  other: string;
}

export type PacketOutcome = "closed" | "connack-refused" | "suback-failure";

export interface PacketCase {
  name: string;
  kind: "packet";
  afterConnect: boolean;
  bytes: (ctx: PacketCtx) => Buffer;
  expect: PacketOutcome;
}

export interface PublishCtx extends PacketCtx {
  now: number;
  unitId: string;
}

export interface PublishCase {
  name: string;
  kind: "publish";
  topic: (ctx: PublishCtx) => string;
  payload: (ctx: PublishCtx) => Buffer;
  expect:
    | { refused: true; reason?: string; disconnect?: boolean }
    | { replay: true }
    | { fault: true }
    | { ignored: true };
}

export type MqttCase = PacketCase | PublishCase;

// ---- packet encoding (MQTT 3.1.1) ------------------------------------------------------------

const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const str = (s: string | Buffer) => {
  const b = typeof s === "string" ? Buffer.from(s, "utf8") : s;
  return Buffer.concat([u16(b.length), b]);
};
function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}
const packet = (first: number, body: Buffer) =>
  Buffer.concat([Buffer.from([first]), varint(body.length), body]);

export function connectPacket(o: {
  clientId?: string | Buffer;
  username?: string | Buffer;
  password?: string;
  protocol?: string;
  level?: number;
  extraFlags?: number;
}): Buffer {
  let flags = 0x02 | (o.extraFlags ?? 0);
  if (o.username !== undefined) flags |= 0x80;
  if (o.password !== undefined) flags |= 0x40;
  const parts = [
    str(o.protocol ?? "MQTT"),
    Buffer.from([o.level ?? 4, flags]),
    u16(30),
    str(o.clientId ?? `hostile-${Math.random().toString(36).slice(2, 10)}`),
  ];
  if (o.username !== undefined) parts.push(str(o.username));
  if (o.password !== undefined) parts.push(str(o.password));
  return packet(0x10, Buffer.concat(parts));
}

export function publishPacket(topic: string | Buffer, payload: Buffer, qos = 1, packetId = 1): Buffer {
  const id = qos > 0 ? u16(packetId) : Buffer.alloc(0);
  return packet(0x30 | (qos << 1), Buffer.concat([str(topic), id, payload]));
}

const subscribePacket = (topic: string, qos = 1) =>
  packet(0x82, Buffer.concat([u16(7), str(topic), Buffer.from([qos])]));

const own = (c: PacketCtx, leaf = "readings") => `coldtrail/v1/probes/${c.self}/${leaf}`;
const good = (c: PublishCtx) => JSON.stringify({ readings: [{ ts: c.now - 60_000, temp_c: -19.5 }] });

// ---- packets ---------------------------------------------------------------------------------

const PACKETS: PacketCase[] = (
  [
    {
      name: "remaining length of five bytes",
      afterConnect: false,
      bytes: () => Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f]),
      expect: "closed",
    },
    {
      name: "HTTP request on the MQTT port",
      afterConnect: false,
      bytes: () => Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
      expect: "closed",
    },
    {
      name: "reserved packet type 0 first",
      afterConnect: false,
      bytes: () => Buffer.from([0x00, 0x00]),
      expect: "closed",
    },
    {
      name: "PUBLISH before CONNECT",
      afterConnect: false,
      bytes: (c) => publishPacket(own(c), Buffer.from("{}")),
      expect: "closed",
    },
    {
      name: "SUBSCRIBE before CONNECT",
      afterConnect: false,
      bytes: () => subscribePacket("#"),
      expect: "closed",
    },
    {
      name: "CONNECT protocol name MQTX",
      afterConnect: false,
      bytes: (c) => connectPacket({ username: c.self, password: c.secret, protocol: "MQTX" }),
      expect: "connack-refused",
    },
    {
      name: "CONNECT protocol level 9",
      afterConnect: false,
      bytes: (c) => connectPacket({ username: c.self, password: c.secret, level: 9 }),
      expect: "connack-refused",
    },
    {
      name: "CONNECT reserved flag bit set",
      afterConnect: false,
      bytes: (c) => connectPacket({ username: c.self, password: c.secret, extraFlags: 0x01 }),
      expect: "connack-refused",
    },
    {
      name: "CONNECT password without username flag",
      afterConnect: false,
      bytes: (c) => connectPacket({ password: c.secret }),
      expect: "connack-refused",
    },
    {
      name: "CONNECT wrong password",
      afterConnect: false,
      bytes: (c) => connectPacket({ username: c.self, password: "wrong" }),
      expect: "connack-refused",
    },
    {
      name: "CONNECT another probe's id with my secret",
      afterConnect: false,
      bytes: (c) => connectPacket({ username: c.other, password: c.secret }),
      expect: "connack-refused",
    },
    {
      name: "CONNECT no credentials",
      afterConnect: false,
      bytes: () => connectPacket({}),
      expect: "connack-refused",
    },
    ...[
      "#",
      "+",
      "../x",
      "'; DROP TABLE probes; --",
      '" OR 1=1 --',
      "probe,tag=x temp_c=1",
      "a\u0000b",
      "🧊",
    ].map(
      (u): Omit<PacketCase, "kind"> => ({
        name: `CONNECT username ${JSON.stringify(u)}`,
        afterConnect: false,
        bytes: (c) => connectPacket({ username: u, password: c.secret }),
        expect: "connack-refused",
      }),
    ),
    {
      name: "CONNECT username of invalid UTF-8",
      afterConnect: false,
      bytes: (c) => connectPacket({ username: Buffer.from([0xc3, 0x28]), password: c.secret }),
      expect: "connack-refused",
    },
    {
      name: "CONNECT client id of invalid UTF-8",
      afterConnect: false,
      bytes: (c) =>
        connectPacket({ clientId: Buffer.from([0xff, 0xfe]), username: c.self, password: c.secret }),
      expect: "connack-refused",
    },
    {
      name: "CONNECT length longer than its fields",
      afterConnect: false,
      bytes: () => Buffer.from([0x10, 0x04, 0x00, 0x04, 0x4d, 0x51]),
      expect: "closed",
    },
    {
      name: "CONNECT string length past the packet",
      afterConnect: false,
      bytes: () => Buffer.from([0x10, 0x06, 0x00, 0xff, 0x4d, 0x51, 0x54, 0x54]),
      expect: "closed",
    },
    {
      name: "PUBLISH QoS 3",
      afterConnect: true,
      bytes: (c) => publishPacket(own(c), Buffer.from("{}"), 3),
      expect: "closed",
    },
    {
      name: "PUBLISH topic of invalid UTF-8",
      afterConnect: true,
      bytes: () => publishPacket(Buffer.from([0x63, 0xc3, 0x28]), Buffer.from("{}")),
      expect: "closed",
    },
    {
      name: "PUBLISH topic with + wildcard",
      afterConnect: true,
      bytes: () => publishPacket("coldtrail/v1/probes/+/readings", Buffer.from("{}")),
      expect: "closed",
    },
    {
      name: "PUBLISH topic with # wildcard",
      afterConnect: true,
      bytes: () => publishPacket("coldtrail/v1/probes/#", Buffer.from("{}")),
      expect: "closed",
    },
    {
      name: "PUBLISH topic with NUL",
      afterConnect: true,
      bytes: (c) => publishPacket(`${own(c)}\u0000x`, Buffer.from("{}")),
      expect: "closed",
    },
    {
      name: "PUBLISH empty topic",
      afterConnect: true,
      bytes: () => publishPacket("", Buffer.from("{}")),
      expect: "closed",
    },
    {
      name: "PUBLISH QoS 1 without a packet id",
      afterConnect: true,
      bytes: () => Buffer.from([0x32, 0x03, 0x00, 0x01, 0x61]),
      expect: "closed",
    },
    {
      name: "PUBLISH topic length past the packet",
      afterConnect: true,
      bytes: () => Buffer.from([0x32, 0x04, 0x7f, 0xff, 0x61, 0x62]),
      expect: "closed",
    },
    {
      name: "second CONNECT on one connection",
      afterConnect: true,
      bytes: (c) => connectPacket({ username: c.self, password: c.secret }),
      expect: "closed",
    },
    {
      name: "reserved packet type 15",
      afterConnect: true,
      bytes: () => Buffer.from([0xf0, 0x00]),
      expect: "closed",
    },
    {
      name: "SUBSCRIBE with QoS 3",
      afterConnect: true,
      bytes: (c) => subscribePacket(own(c), 3),
      expect: "closed",
    },
    {
      name: "SUBSCRIBE with no topics",
      afterConnect: true,
      bytes: () => Buffer.from([0x82, 0x02, 0x00, 0x07]),
      expect: "closed",
    },
    {
      name: "SUBSCRIBE with wrong fixed-header flags",
      afterConnect: true,
      bytes: (c) => Buffer.concat([Buffer.from([0x80]), subscribePacket(own(c)).subarray(1)]),
      expect: "closed",
    },
    {
      name: "SUBSCRIBE to everything",
      afterConnect: true,
      bytes: () => subscribePacket("#"),
      expect: "suback-failure",
    },
    {
      name: "SUBSCRIBE to another probe's topics",
      afterConnect: true,
      bytes: (c) => subscribePacket(`coldtrail/v1/probes/${c.other}/#`),
      expect: "suback-failure",
    },
    {
      name: "SUBSCRIBE to $SYS",
      afterConnect: true,
      bytes: () => subscribePacket("$SYS/#"),
      expect: "suback-failure",
    },
    {
      name: "SUBSCRIBE to alerts of every unit",
      afterConnect: true,
      bytes: () => subscribePacket("coldtrail/v1/alerts/+"),
      expect: "suback-failure",
    },
  ] as Omit<PacketCase, "kind">[]
).map((p) => ({ ...p, kind: "packet" as const }));

// ---- payloads --------------------------------------------------------------------------------

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const text = (s: string) => Buffer.from(s, "utf8");
const YEAR = 365 * 24 * 3600_000;

type Row = [string, (c: PublishCtx) => Buffer, string | undefined, string?];
/** [name, payload, reason (when pinned), topic leaf (default readings)] */
const PAYLOADS: Row[] = [
  ["not JSON", () => text("hello"), "not_json"],
  ["empty payload", () => Buffer.alloc(0), undefined],
  [
    "70 kB payload",
    (c) => json({ readings: [{ ts: c.now, temp_c: -18 }], pad: "x".repeat(70_000) }),
    "too_large",
  ],
  [
    "501 readings",
    (c) =>
      json({
        readings: Array.from({ length: 501 }, (_, i) => ({ ts: c.now - (i + 1) * 1000, temp_c: -19 })),
      }),
    "invalid",
  ],
  ["a JSON string", () => json("readings"), "invalid"],
  ["JSON null", () => text("null"), "invalid"],
  ["a JSON number", () => text("-18.5"), "invalid"],
  ["a JSON array of readings", (c) => json([{ ts: c.now, temp_c: -18 }]), "invalid"],
  ["an empty object", () => json({}), "invalid"],
  ["readings empty", () => json({ readings: [] }), "invalid"],
  ["readings null", () => json({ readings: null }), "invalid"],
  ["readings a string", () => json({ readings: "-18" }), "invalid"],
  ["readings [null]", () => json({ readings: [null] }), undefined],
  [
    "readings nested 10 000 deep",
    () => text(`{"readings":${"[".repeat(10_000)}${"]".repeat(10_000)}}`),
    undefined,
  ],
  [
    "temp_c an object",
    (c) => json({ readings: [{ ts: c.now - 1000, temp_c: { value: -18 } }] }),
    "temp_not_number",
  ],
  ["temp_c a string", (c) => json({ readings: [{ ts: c.now - 1000, temp_c: "-18" }] }), "temp_not_number"],
  [
    "temp_c SQL",
    (c) => json({ readings: [{ ts: c.now - 1000, temp_c: "'; DROP TABLE readings; --" }] }),
    "temp_not_number",
  ],
  ["temp_c NaN literal", (c) => text(`{"readings":[{"ts":${c.now - 1000},"temp_c":NaN}]}`), "not_json"],
  ["temp_c 1e309 (Infinity)", (c) => text(`{"readings":[{"ts":${c.now - 1000},"temp_c":1e309}]}`), undefined],
  ["temp_c 1e308", (c) => json({ readings: [{ ts: c.now - 1000, temp_c: 1e308 }] }), "fault"],
  ["temp_c −300 °C", (c) => json({ readings: [{ ts: c.now - 1000, temp_c: -300 }] }), "fault"],
  ["temp_c missing", (c) => json({ readings: [{ ts: c.now - 1000, temp: -18 }] }), undefined],
  ["ts far future (a year)", (c) => json({ readings: [{ ts: c.now + YEAR, temp_c: -18 }] }), "future_ts"],
  ["ts in 2999", () => json({ readings: [{ ts: Date.UTC(2999, 0, 1), temp_c: -18 }] }), "future_ts"],
  ["ts 1e308", () => json({ readings: [{ ts: 1e308, temp_c: -18 }] }), undefined],
  [
    "ts before 2020",
    () => json({ readings: [{ ts: Date.UTC(2019, 11, 31), temp_c: -18 }] }),
    "ts_before_2020",
  ],
  [
    "ts in seconds",
    (c) => json({ readings: [{ ts: Math.floor(c.now / 1000), temp_c: -18 }] }),
    "ts_before_2020",
  ],
  ["ts negative", () => json({ readings: [{ ts: -1, temp_c: -18 }] }), undefined],
  ["ts a string", () => json({ readings: [{ ts: "2026-05-03T14:00:00Z", temp_c: -18 }] }), undefined],
  ["ts a float", (c) => json({ readings: [{ ts: c.now - 1000.5, temp_c: -18 }] }), "ts_not_integer"],
  [
    "seq line protocol",
    (c) => json({ readings: [{ ts: c.now - 1000, temp_c: -18, seq: "1 temp_c=99" }] }),
    undefined,
  ],
  [
    "conflicting duplicate ts only",
    (c) =>
      json({
        readings: [
          { ts: c.now - 2000, temp_c: "x" },
          { ts: c.now - 2000, temp_c: "y" },
        ],
      }),
    undefined,
  ],
  ["payload of invalid UTF-8", () => Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), "not_utf8"],
  ["payload of NULs", () => Buffer.alloc(16), undefined],
  [
    "__proto__ in a reading without temp",
    (c) => text(`{"readings":[{"ts":${c.now - 1000},"__proto__":{"temp_c":-18}}]}`),
    undefined,
  ],
  [
    "constructor.prototype at the top",
    () => text('{"constructor":{"prototype":{"x":1}},"readings":[]}'),
    undefined,
  ],
  ["temp_c topic 0x10", () => text("0x10"), "not_json", "temp_c"],
  ["temp_c topic empty", () => Buffer.alloc(0), "not_json", "temp_c"],
  ["temp_c topic SQL", () => text("-18.5; DROP TABLE readings"), "not_json", "temp_c"],
  ["temp_c topic NaN", () => text("NaN"), "not_json", "temp_c"],
  ["temp_c topic Infinity", () => text("Infinity"), "not_json", "temp_c"],
  ["temp_c topic JSON", () => text('{"temp_c":-18}'), "not_json", "temp_c"],
  ["temp_c topic −300", () => text("-300"), "fault", "temp_c"],
  ["temp_c topic 1e308", () => text("1e308"), "fault", "temp_c"],
  ["status not JSON", () => text("online"), "not_json", "status"],
  ["status unknown state", () => json({ state: "hacked" }), undefined, "status"],
  [
    "status fw of 1 000 characters",
    () => json({ state: "online", fw: "f".repeat(1000) }),
    undefined,
    "status",
  ],
  ["status null", () => text("null"), undefined, "status"],
];

const TOPICS: [string, (c: PublishCtx) => string, string | undefined][] = [
  ["another probe's readings", (c) => `coldtrail/v1/probes/${c.other}/readings`, "forbidden_topic"],
  ["another probe's temp_c", (c) => `coldtrail/v1/probes/${c.other}/temp_c`, "forbidden_topic"],
  ["another probe's status", (c) => `coldtrail/v1/probes/${c.other}/status`, "forbidden_topic"],
  ["my readings with a tail", (c) => `${own(c)}/extra`, "ignored"],
  ["my id then ..", (c) => `coldtrail/v1/probes/${c.self}/../${c.other}/readings`, "ignored"],
  ["version 2", (c) => `coldtrail/v2/probes/${c.self}/readings`, "bad_topic"],
  ["SQL probe id", () => "coldtrail/v1/probes/'; DROP TABLE probes; --/readings", undefined],
  ["line-protocol probe id", () => "coldtrail/v1/probes/probe,tag=x temp_c=1/readings", undefined],
  ["unicode probe id", () => "coldtrail/v1/probes/🧊🧊🧊/readings", undefined],
  ["a unit's alert topic", (c) => `coldtrail/v1/alerts/${c.unitId}`, undefined],
  ["Home Assistant discovery", (c) => `homeassistant/sensor/${c.unitId}/config`, undefined],
  ["$SYS", () => "$SYS/broker/clients", undefined],
  ["leading slash", (c) => `/${own(c)}`, "bad_topic"],
  ["empty levels", (c) => `coldtrail/v1/probes//${c.self}/readings`, undefined],
];

const PUBLISHES: PublishCase[] = [
  ...PAYLOADS.map(
    ([name, payload, reason, leaf]): PublishCase => ({
      name: `${leaf ?? "readings"}: ${name}`,
      kind: "publish",
      topic: (c) => own(c, leaf),
      payload,
      expect: reason === "fault" ? { fault: true } : { refused: true, ...(reason && { reason }) },
    }),
  ),
  ...TOPICS.map(
    ([name, topic, reason]): PublishCase => ({
      name: `topic: ${name}`,
      kind: "publish",
      topic,
      payload: (c) => text(good(c)),
      expect:
        reason === "ignored"
          ? { ignored: true }
          : { refused: true, disconnect: true, ...(reason && { reason }) },
    }),
  ),
  {
    name: "replayed reading (three times)",
    kind: "publish",
    topic: (c) => own(c),
    payload: (c) => json({ readings: [{ ts: c.now - 5 * 60_000, temp_c: -19.25, seq: 7 }] }),
    expect: { replay: true },
  },
];

export function mqttCorpus(): MqttCase[] {
  return [...PACKETS, ...PUBLISHES];
}
