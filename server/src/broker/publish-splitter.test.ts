import { PassThrough, Writable } from "node:stream";
import mqttPacket from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { type FastPublish, PublishSplitter, splitPublishes } from "./publish-splitter.js";

const TOPIC = "coldtrail/v1/probes/p-1/readings";

function publish(version: 4 | 5, i: number, extra: Partial<mqttPacket.IPublishPacket> = {}): Buffer {
  return mqttPacket.generate(
    {
      cmd: "publish",
      topic: TOPIC,
      payload: Buffer.from(JSON.stringify({ readings: [{ ts: 1000 * i, temp_c: -19 }] })),
      qos: 1,
      messageId: i + 1,
      retain: false,
      dup: false,
      ...extra,
    },
    { protocolVersion: version },
  );
}

/** Buffers compared as text: vitest compares a Buffer byte by byte, slowly. */
const hex = (b: Buffer | string) => (typeof b === "string" ? b : b.toString("hex"));

/** What mqtt.js's parser would make of the bytes passed on. */
function parsed(version: 4 | 5, chunks: Buffer[]): mqttPacket.Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: version });
  const out: mqttPacket.Packet[] = [];
  parser.on("packet", (p) => out.push(p));
  parser.on("error", (e) => out.push({ cmd: "error", message: e.message } as unknown as mqttPacket.Packet));
  for (const c of chunks) parser.parse(c);
  return out;
}

function collect(version: 4 | 5) {
  const fast: FastPublish[] = [];
  const passed: Buffer[] = [];
  const splitter = new PublishSplitter(
    version,
    (p) => fast.push({ ...p, payload: Buffer.from(p.payload) }),
    (b) => passed.push(Buffer.from(b)),
  );
  return { fast, passed, splitter };
}

describe("PublishSplitter", () => {
  for (const version of [4, 5] as const) {
    it(`MQTT ${version === 5 ? "5" : "3.1.1"}: takes plain QoS 0/1 PUBLISHes, whatever the chunk boundaries, and passes the rest on in order`, () => {
      const packets = [
        mqttPacket.generate(
          { cmd: "connack", returnCode: 0, reasonCode: 0, sessionPresent: true },
          { protocolVersion: version },
        ),
        publish(version, 0),
        publish(version, 1, { qos: 0, messageId: undefined, retain: true }),
        mqttPacket.generate({ cmd: "suback", messageId: 7, granted: [1] }, { protocolVersion: version }),
        publish(version, 2, { qos: 2 }),
        // A payload past 127 bytes: a two-byte Remaining Length.
        publish(version, 3, { payload: Buffer.alloc(300, "x") }),
        // Past 16 383: three bytes.
        publish(version, 4, { payload: Buffer.alloc(20_000, "y") }),
        mqttPacket.generate({ cmd: "pingresp" }, { protocolVersion: version }),
      ];
      const all = Buffer.concat(packets);
      const expectedFast = [1, 2, 5, 6].map((i) => {
        const p = parsed(version, [packets[i] as Buffer])[0] as mqttPacket.IPublishPacket;
        return {
          topic: p.topic,
          payload: hex(p.payload),
          qos: p.qos,
          messageId: p.messageId,
          retain: p.retain,
        };
      });
      // Cut the stream at every offset within the first packets, and at a few further in.
      const cuts = [...Array.from({ length: 120 }, (_, k) => k + 1), 400, 20_100, all.length - 1];
      for (const cut of cuts) {
        const { fast, passed, splitter } = collect(version);
        splitter.push(all.subarray(0, cut));
        splitter.push(all.subarray(cut));
        expect(fast.map((f) => ({ ...f, payload: hex(f.payload) }))).toEqual(expectedFast);
        expect(parsed(version, passed).map((p) => p.cmd)).toEqual([
          "connack",
          "suback",
          "publish",
          "pingresp",
        ]);
        expect((parsed(version, passed)[2] as mqttPacket.IPublishPacket).qos).toBe(2);
      }
    });
  }

  it("MQTT 5: a PUBLISH with properties (a topic alias, user properties) is mqtt.js's", () => {
    const withProps = publish(5, 9, {
      properties: { userProperties: { a: "b" }, payloadFormatIndicator: true },
    });
    const { fast, passed, splitter } = collect(5);
    splitter.push(Buffer.concat([publish(5, 1), withProps, publish(5, 2)]));
    expect(fast.map((f) => f.messageId)).toEqual([2, 3]);
    const p = parsed(5, passed);
    expect(p).toHaveLength(1);
    expect((p[0] as mqttPacket.IPublishPacket).properties?.userProperties).toEqual({ a: "b" });
  });

  it("holds PUBLISHes while mayTake is false and takes them, in order, on resume", () => {
    let room = 2;
    const fast: FastPublish[] = [];
    const passed: Buffer[] = [];
    const chunk = Buffer.concat([
      publish(4, 0),
      publish(4, 1),
      publish(4, 2),
      mqttPacket.generate({ cmd: "pingresp" }),
      publish(4, 3),
    ]);
    // Each PUBLISH taken uses one unit of room.
    const counting = new PublishSplitter(
      4,
      (p) => {
        room -= 1;
        fast.push(p);
      },
      (b) => passed.push(Buffer.from(b)),
      () => room > 0,
    );
    expect(counting.push(chunk)).toBe(false);
    expect(fast).toHaveLength(2);
    expect(passed).toHaveLength(0); // the PINGRESP is behind the held PUBLISH
    room = 1;
    expect(counting.resume()).toBe(false);
    expect(fast.map((f) => f.messageId)).toEqual([1, 2, 3]);
    // The PINGRESP came before the PUBLISH now held: passed on; nothing after a held one is.
    expect(parsed(4, passed).map((p) => p.cmd)).toEqual(["pingresp"]);
    room = 5;
    expect(counting.resume()).toBe(true);
    expect(fast.map((f) => f.messageId)).toEqual([1, 2, 3, 4]);
    expect(parsed(4, passed).map((p) => p.cmd)).toEqual(["pingresp"]);
  });

  it("a Remaining Length longer than 4 bytes sends everything from there to mqtt.js, which refuses it", () => {
    const { fast, passed, splitter } = collect(4);
    const bad = Buffer.from([0x32, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00]);
    splitter.push(Buffer.concat([publish(4, 0), bad]));
    splitter.push(publish(4, 1));
    expect(fast.map((f) => f.messageId)).toEqual([1]);
    expect(Buffer.concat(passed)).toEqual(Buffer.concat([bad, publish(4, 1)]));
    expect(parsed(4, passed)[0]?.cmd).toBe("error");
  });
});

describe("splitPublishes", () => {
  it("pipes only what is not taken to the parser's stream, and pauses the source while PUBLISHes are held", async () => {
    const source = new PassThrough();
    let room = 1;
    const waiting: (() => void)[] = [];
    const taken: FastPublish[] = [];
    splitPublishes(
      source,
      4,
      (p) => {
        room -= 1;
        taken.push(p);
      },
      () => room > 0,
      (resume) => waiting.push(resume),
    );
    const toParser: Buffer[] = [];
    source.pipe(
      new Writable({
        write(chunk: Buffer, _e, cb) {
          toParser.push(chunk);
          cb();
        },
      }),
    );
    source.write(Buffer.concat([publish(4, 0), publish(4, 1), mqttPacket.generate({ cmd: "pingresp" })]));
    await new Promise((r) => setImmediate(r));
    expect(taken.map((t) => t.messageId)).toEqual([1]);
    expect(source.isPaused()).toBe(true);
    expect(waiting).toHaveLength(1);
    room = 1;
    (waiting.shift() as () => void)();
    expect(taken.map((t) => t.messageId)).toEqual([1, 2]);
    // Nothing after it is a PUBLISH: the PINGRESP goes on and reading resumes.
    expect(source.isPaused()).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(parsed(4, toParser).map((p) => p.cmd)).toEqual(["pingresp"]);
  });

  it("drops what is held when the stream closes: the broker sends it again on the next connection", async () => {
    const source = new PassThrough();
    const waiting: (() => void)[] = [];
    const taken: FastPublish[] = [];
    let room = 0;
    splitPublishes(
      source,
      4,
      (p) => taken.push(p),
      () => room > 0,
      (resume) => waiting.push(resume),
    );
    source.pipe(new Writable({ write: (_c, _e, cb) => cb() }));
    source.write(publish(4, 0));
    await new Promise((r) => setImmediate(r));
    source.destroy();
    await new Promise((r) => setImmediate(r));
    room = 10;
    for (const w of waiting.splice(0)) w();
    expect(taken).toHaveLength(0);
  });
});
