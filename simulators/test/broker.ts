import { createServer, type Server } from "node:net";
import { Aedes } from "aedes";

/** A real aedes MQTT broker on an ephemeral port, recording every client publish. */
export interface TestBroker {
  url: string;
  aedes: Aedes;
  received: { clientId: string; topic: string; payload: Buffer; retain: boolean; qos: number }[];
  close(): Promise<void>;
}

export async function startBroker(
  check?: (username: string | undefined, password: string | undefined) => boolean,
): Promise<TestBroker> {
  const aedes = await Aedes.createBroker();
  if (check) {
    aedes.authenticate = (_client, username, password, done) => {
      done(null, check(username, password?.toString("utf8")));
    };
  }
  const received: TestBroker["received"] = [];
  aedes.on("publish", (packet, client) => {
    if (client)
      received.push({
        clientId: client.id,
        topic: packet.topic,
        payload: Buffer.from(packet.payload),
        retain: packet.retain,
        qos: packet.qos,
      });
  });
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    aedes,
    received,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
