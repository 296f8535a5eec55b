/**
 * A TCP proxy in front of a broker whose link to some clients is slow: every chunk the broker
 * sends to a connection whose first packet (the MQTT CONNECT, which carries the client id)
 * contains `slowWhen` is held `delayMs` before it goes on, in order. Other connections pass as
 * they are. For tests that need a client to be in the middle of something for a while.
 */
import { createConnection, createServer, type Socket } from "node:net";

export interface SlowLink {
  /** `mqtt://127.0.0.1:<port>` of the proxy. */
  url: string;
  close(): Promise<void>;
}

export async function startSlowLink(
  target: { host: string; port: number },
  slowWhen: string,
  delayMs: number,
) {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(target);
    sockets.add(client);
    sockets.add(upstream);
    let slow: boolean | null = null;
    let chain = Promise.resolve();
    client.on("data", (chunk) => {
      if (slow === null) slow = chunk.includes(slowWhen);
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (!slow) {
        client.write(chunk);
        return;
      }
      chain = chain.then(
        () =>
          new Promise<void>((r) =>
            setTimeout(() => {
              if (!client.destroyed) client.write(chunk);
              r();
            }, delayMs),
          ),
      );
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", end);
    upstream.on("error", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const a = server.address();
  const port = typeof a === "object" && a ? a.port : 0;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  } satisfies SlowLink;
}
