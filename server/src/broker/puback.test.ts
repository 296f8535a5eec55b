import mqttPacket from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { pubackPackets } from "./puback.js";

/** What a broker's parser (mqtt-packet, as aedes uses) reads from the bytes. */
function parse(buf: Buffer, protocolVersion: 4 | 5) {
  const parser = mqttPacket.parser({ protocolVersion });
  const packets: mqttPacket.Packet[] = [];
  const errors: Error[] = [];
  parser.on("packet", (p) => packets.push(p));
  parser.on("error", (e) => errors.push(e));
  parser.parse(buf);
  return { packets, errors };
}

describe("pubackPackets", () => {
  it("is what mqtt-packet writes for a 3.1.1 PUBACK, one after another", () => {
    const ids = [1, 2, 300, 65_535];
    const expected = Buffer.concat(ids.map((messageId) => mqttPacket.generate({ cmd: "puback", messageId })));
    expect(pubackPackets(ids)).toEqual(expected);
  });

  it("reads back as MQTT 5 PUBACKs with reason 0x00 Success (the short form of 3.4.2.1)", () => {
    const { packets, errors } = parse(pubackPackets([7, 4242]), 5);
    expect(errors).toEqual([]);
    expect(
      packets.map((p) => ({ cmd: p.cmd, messageId: (p as mqttPacket.IPubackPacket).messageId })),
    ).toEqual([
      { cmd: "puback", messageId: 7 },
      { cmd: "puback", messageId: 4242 },
    ]);
    expect(packets.every((p) => ((p as mqttPacket.IPubackPacket).reasonCode ?? 0) === 0)).toBe(true);
  });

  it("is empty for no ids", () => {
    expect(pubackPackets([]).length).toBe(0);
  });

  it("refuses an id no QoS 1 message can have, naming it", () => {
    expect(() => pubackPackets([0])).toThrow(/1-65535, got 0/);
    expect(() => pubackPackets([65_536])).toThrow(/got 65536/);
  });
});
