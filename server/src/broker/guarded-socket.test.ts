import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { GuardedSocket } from "./guarded-socket.js";

/** PINGREQ (MQTT 3.1.1 §3.12): the smallest whole packet, two bytes. */
const PINGREQ = Buffer.from([0xc0, 0x00]);

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  if (s) await new Promise<void>((r) => s.close(() => r()));
});

/** A connected pair: the server side's socket and the client that writes to it. */
async function pair(): Promise<{ accepted: Socket; client: Socket }> {
  let accepted!: (s: Socket) => void;
  const got = new Promise<Socket>((r) => {
    accepted = r;
  });
  server = createServer((s) => accepted(s));
  const srv = server;
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const a = srv.address();
  const client = connect(typeof a === "object" && a ? a.port : 0, "127.0.0.1");
  return { accepted: await got, client };
}

const turn = () => new Promise((r) => setImmediate(r));

describe("GuardedSocket", () => {
  it("pauses the socket while its reader falls behind and passes on every byte once it reads again", async () => {
    const { accepted, client } = await pair();
    const guarded = new GuardedSocket(accepted, 1024, () => {});
    const total = 64 * 1024 * PINGREQ.length; // four times the stream's buffer
    client.write(Buffer.concat(Array.from({ length: total / PINGREQ.length }, () => PINGREQ)));
    // Nobody reads yet: the stream's buffer fills up and the socket is paused.
    while (guarded.readableLength < guarded.readableHighWaterMark) await turn();
    expect(accepted.isPaused()).toBe(true);
    let received = 0;
    for (;;) {
      const chunk = guarded.read() as Buffer | null;
      if (chunk) received += chunk.length;
      else if (received >= total) break;
      else await new Promise((r) => guarded.once("readable", r));
    }
    expect(received).toBe(total);
    client.destroy();
    guarded.destroy();
  });

  it("refuses a packet that announces more than the limit, before its body arrives", async () => {
    const { accepted, client } = await pair();
    const refused: string[] = [];
    const guarded = new GuardedSocket(accepted, 1024, (reason) => refused.push(reason));
    const closed = new Promise((r) => guarded.once("close", r));
    // PUBLISH announcing 2000 bytes (Remaining Length 0xd0 0x0f), body never sent.
    client.write(Buffer.from([0x30, 0xd0, 0x0f]));
    await closed;
    expect(refused).toHaveLength(1);
    expect(accepted.destroyed).toBe(true);
    client.destroy();
  });
});
