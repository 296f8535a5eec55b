import { createServer, type Server } from "node:net";
import { TOPIC_ROOT } from "@coldtrail/firmware-bridge/protocol";
import { Aedes, type AuthenticateError, type Client } from "aedes";
import type { IncomingMessage, IngestOutcome } from "../ingest/ingest.js";
import type { Logger } from "../logger.js";
import { secretMatches } from "../registry/secrets.js";

export interface EmbeddedBrokerDeps {
  port: number;
  host?: string;
  log: Logger;
  /** The stored secret hash of a probe, or null if unknown. */
  secretHashOf(probeId: string): string | null;
  ingest(msg: IncomingMessage): Promise<IngestOutcome>;
}

export interface EmbeddedBroker {
  aedes: Aedes;
  port: number;
  close(): Promise<void>;
}

/** MQTT 3.1.1 CONNACK return code 4: bad user name or password (spec §3.2.2.3). */
const BAD_USERNAME_OR_PASSWORD = 4;

/**
 * The embedded aedes broker. Probes authenticate with username = probe id and password = the
 * secret issued at registration. A probe may publish only under its own id and subscribe only
 * to its own topics. A QoS 1 PUBACK is sent only after `ingest` resolved, i.e. after the
 * readings are durable in the journal (aedes acknowledges once `authorizePublish` calls back).
 */
export async function startEmbeddedBroker(deps: EmbeddedBrokerDeps): Promise<EmbeddedBroker> {
  const { log } = deps;
  const aedes = await Aedes.createBroker({
    // Probes replay up to 500 readings a message; the protocol's own limit is checked in ingest.
    maxClientsIdLength: 128,
    authenticate(client, username, password, done) {
      const hash = username ? deps.secretHashOf(username) : null;
      if (!username || !hash || !secretMatches(password, hash)) {
        log.warn({ clientId: client.id, username: username?.slice(0, 64) ?? null }, "mqtt.auth_failed");
        const err = new Error("bad username or password") as AuthenticateError;
        err.returnCode = BAD_USERNAME_OR_PASSWORD;
        return done(err, false);
      }
      (client as Client & { probeId?: string }).probeId = username;
      done(null, true);
    },
    authorizePublish(client, packet, done) {
      const probeId = client ? ((client as Client & { probeId?: string }).probeId ?? null) : null;
      deps
        .ingest({
          topic: packet.topic,
          payload: typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload,
          username: probeId,
          clientId: client?.id ?? null,
        })
        .then(
          (outcome) => {
            // A probe writing where it may not is disconnected (MQTT 3.1.1 has no negative PUBACK).
            // A malformed message is acknowledged: it is kept as a dead letter, and a device that
            // re-sent it forever would block the good readings queued behind it.
            if (!outcome.ok && outcome.forbidden) done(new Error(outcome.message));
            else done(null);
          },
          (err: Error) => {
            log.error({ clientId: client?.id, err: err.message }, "ingest.journal_failed");
            done(err); // no PUBACK: the device keeps the message and sends it again
          },
        );
    },
    authorizeSubscribe(client, sub, done) {
      const probeId = (client as Client & { probeId?: string }).probeId;
      const own = `${TOPIC_ROOT}/probes/${probeId}/`;
      // Wildcards after the probe's own prefix cannot reach another probe's topics.
      if (probeId && sub.topic.startsWith(own)) return done(null, sub);
      log.warn({ clientId: client.id, probeId, topic: sub.topic.slice(0, 200) }, "mqtt.subscribe_refused");
      done(null, null); // SUBACK 0x80 for this topic
    },
  });
  aedes.on("clientError", (client, err) =>
    log.debug({ clientId: client.id, err: err.message }, "mqtt.client_error"),
  );
  aedes.on("client", (client) => log.debug({ clientId: client.id }, "mqtt.connected"));

  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(deps.port, deps.host ?? "0.0.0.0", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : deps.port;
  log.info({ port }, "mqtt.listening");
  return {
    aedes,
    port,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
