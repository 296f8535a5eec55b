/**
 * Benchmark publisher, run as its own process so the server under test has a core to itself.
 * It speaks MQTT 3.1.1 over raw sockets with mqtt-packet and pre-generated PUBLISH packets, so the
 * publisher is not what limits the rate: each connection keeps `inflight` QoS 1 PUBLISHes
 * outstanding and counts PUBACKs. Input: one JSON argument. Output: JSON lines.
 */
import { type Socket, connect as tcp } from "node:net";
import mqttPacket from "mqtt-packet";

interface Args {
  url: string;
  /** One connection per entry; username = probe id. */
  clients: { id: string; secret: string }[];
  messagesPerClient: number;
  readingsPerMessage: number;
  inflight: number;
  t0: number;
  /** Milliseconds between a probe's readings; default 1000. */
  stepMs?: number;
}

const args = JSON.parse(process.argv[2] ?? "{}") as Args;
const { hostname, port } = new URL(args.url);

function payload(i: number): string {
  const readings = [];
  for (let k = 0; k < args.readingsPerMessage; k++) {
    const n = i * args.readingsPerMessage + k;
    readings.push({ ts: args.t0 + n * (args.stepMs ?? 1000), temp_c: -19 + (n % 32) / 16, seq: n });
  }
  return JSON.stringify({ readings });
}

interface Conn {
  socket: Socket;
  packets: Buffer[];
  acked: number;
}

async function open(c: { id: string; secret: string }): Promise<Conn> {
  const socket = tcp(Number(port), hostname);
  socket.setNoDelay(true);
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const topic = `coldtrail/v1/probes/${c.id}/readings`;
  const packets: Buffer[] = [];
  for (let i = 0; i < args.messagesPerClient; i++) {
    packets.push(
      mqttPacket.generate({
        cmd: "publish",
        topic,
        payload: payload(i),
        qos: 1,
        messageId: (i % 65_535) + 1,
        retain: false,
        dup: false,
      }),
    );
  }
  const conn: Conn = { socket, packets, acked: 0 };
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    parser.on("packet", (p) => {
      if (p.cmd === "connack") {
        if (p.returnCode !== 0) reject(new Error(`CONNACK ${p.returnCode} for ${c.id}`));
        else resolve();
      } else if (p.cmd === "puback") {
        conn.acked++;
        onAck(conn);
      }
    });
    socket.on("data", (d) => parser.parse(d));
    socket.write(
      mqttPacket.generate({
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 4,
        clean: true,
        clientId: `${c.id}:bench`,
        keepalive: 60,
        username: c.id,
        password: Buffer.from(c.secret),
      }),
    );
  });
  return conn;
}

let next = new Map<Conn, number>();
let finished = 0;
let resolveAll: () => void = () => {};

function onAck(conn: Conn): void {
  const i = next.get(conn) ?? 0;
  if (i < conn.packets.length) {
    conn.socket.write(conn.packets[i] as Buffer);
    next.set(conn, i + 1);
  }
  if (conn.acked === conn.packets.length && ++finished === args.clients.length) resolveAll();
}

const conns = await Promise.all(args.clients.map(open));
process.stdout.write(`${JSON.stringify({ event: "connected" })}\n`);
const start = performance.now();
next = new Map(conns.map((c) => [c, 0]));
const done = new Promise<void>((r) => {
  resolveAll = r;
});
for (const c of conns) {
  const n = Math.min(args.inflight, c.packets.length);
  c.socket.write(Buffer.concat(c.packets.slice(0, n)));
  next.set(c, n);
}
await done;
const elapsedMs = performance.now() - start;
const acked = conns.reduce((a, c) => a + c.acked, 0);
for (const c of conns) c.socket.end(mqttPacket.generate({ cmd: "disconnect" }));
process.stdout.write(
  `${JSON.stringify({ event: "done", acked, readings: acked * args.readingsPerMessage, elapsedMs, messagesPerS: (acked * 1000) / elapsedMs })}\n`,
);
process.exit(0);
