/**
 * Idle probes for the memory bench, run as their own process: opens authenticated MQTT 3.1.1
 * connections (raw sockets, mqtt-packet) with a keepalive, up to each step of `steps`, prints
 * `{"event":"connected","n":…}` and waits for a line on stdin before the next step. The sockets stay
 * open, sending only PINGREQs, until stdin closes. Input: the path of a JSON file. Output: JSON lines.
 */
import { readFileSync } from "node:fs";
import { type Socket, connect as tcp } from "node:net";
import { createInterface } from "node:readline";
import mqttPacket from "mqtt-packet";

interface Args {
  url: string;
  clients: { id: string; secret: string }[];
  steps: number[];
  keepaliveS: number;
}

const args = JSON.parse(readFileSync(process.argv[2] as string, "utf8")) as Args;
const { hostname, port } = new URL(args.url);
const sockets: Socket[] = [];
const PING = mqttPacket.generate({ cmd: "pingreq" });

function open(c: { id: string; secret: string }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcp(Number(port), hostname);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    socket.once("error", reject);
    parser.on("packet", (p) => {
      if (p.cmd !== "connack") return;
      if (p.returnCode !== 0) reject(new Error(`CONNACK ${p.returnCode} for ${c.id}`));
      else resolve(socket);
    });
    socket.on("data", (d) => parser.parse(d));
    socket.write(
      mqttPacket.generate({
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 4,
        clean: true,
        clientId: c.id,
        keepalive: args.keepaliveS,
        username: c.id,
        password: Buffer.from(c.secret),
      }),
    );
  });
}

/** Connects clients [from, to), 100 handshakes at a time. */
async function connectRange(from: number, to: number): Promise<void> {
  let next = from;
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      while (next < to) {
        const c = args.clients[next++] as { id: string; secret: string };
        sockets.push(await open(c));
      }
    }),
  );
}

const ping = setInterval(
  () => {
    for (const s of sockets) s.write(PING);
  },
  (args.keepaliveS * 1000) / 2,
);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
let done = 0;
for (const step of args.steps) {
  await connectRange(done, step);
  done = step;
  process.stdout.write(`${JSON.stringify({ event: "connected", n: sockets.length })}\n`);
  await lines.next();
}
clearInterval(ping);
for (const s of sockets) s.end(mqttPacket.generate({ cmd: "disconnect" }));
process.exit(0);
