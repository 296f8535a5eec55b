import { randomBytes } from "node:crypto";
import mqtt from "mqtt";
import type { IncomingMessage, IngestOutcome } from "../ingest/ingest.js";
import type { Logger } from "../logger.js";
import { AckQueue } from "./ack-queue.js";
import { drainTopic } from "./instance-presence.js";
import { pubackPackets } from "./puback.js";
import { DEFAULT_RECEIVE_MAXIMUM, READ_WINDOW_MAX_BYTES, ReadWindow } from "./read-window.js";

/** MQTT 5 session expiry "never", as the ingest connections use (external-connection.ts). */
const SESSION_NEVER_EXPIRES = 0xffffffff;
/** Passed to mqtt.js's handleMessage callback: no PUBACK from mqtt.js, AckQueue sends it. */
const ACK_DEFERRED = new Error("coldtrail acknowledges after the journal commit");

export interface DrainSessionDeps {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** The dead instance's ingest client id whose persistent session is drained. */
  clientId: string;
  /** Every filter the session may hold (shared and plain): unsubscribed before the marker. */
  filters: readonly string[];
  /**
   * MQTT 5 Receive Maximum, and the most messages read ahead of their journal commits (the same
   * limit as the ingest connections, read-window.ts); default DEFAULT_RECEIVE_MAXIMUM.
   */
  receiveMaximum?: number;
  /** Payload and topic bytes read ahead of the journal commits, at most (read-window.ts). */
  maxPendingBytes?: number;
  log: Logger;
  ingest(msg: IncomingMessage): Promise<IngestOutcome>;
  /** Give up (connection kept as it was) after this long; default 120 s. */
  timeoutMs?: number;
}

export type DrainResult =
  | { ok: true; sessionPresent: boolean; messages: number }
  | { ok: false; reason: string; messages: number };

export interface SessionDrain {
  readonly clientId: string;
  readonly done: Promise<DrainResult>;
  /** Stops without ending the session (its owner came back): what is left stays queued for it. */
  abandon(reason: string): Promise<void>;
}

/**
 * Drains one persistent session of an instance that is gone (#13): connects with its client id
 * (clean start false; the session keeps "never expires" meanwhile, so a crash of this adopter
 * leaves the session, and what is queued in it, for the next one), removes its subscriptions so
 * nothing new enters it, and publishes a marker to its own `…/{clientId}/drain` topic through it.
 * Mosquitto queues a session's messages in order, so when the marker comes back every message
 * queued before it has been delivered. Each message is journaled and acknowledged exactly as on
 * the ingest connections (PUBACK after the journal commit, in arrival order), and no more is read
 * ahead of the journal than their read window allows (read-window.ts), so a big queued backlog is
 * not read into memory at once. Then the session is ended: DISCONNECT with session expiry 0.
 *
 * If the original instance connects with the same client id meanwhile, the broker takes the
 * session over (Mosquitto 2.0.11 just closes this connection): what this one journaled and had
 * not acknowledged yet comes again to the original, and the stores keep each (probe, ts) once.
 */
export function drainSession(deps: DrainSessionDeps): SessionDrain {
  const { log, clientId } = deps;
  const u = new URL(deps.url);
  const where = `${u.protocol}//${u.host}`;
  const nonce = randomBytes(8).toString("hex");
  const marker = drainTopic(clientId);
  const receiveMaximum = deps.receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM;
  const client = mqtt.connect(deps.url, {
    clientId,
    clean: false,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: SESSION_NEVER_EXPIRES, receiveMaximum },
    reconnectPeriod: 0,
    resubscribe: false,
    username: deps.username,
    password: deps.password,
    manualConnect: true,
  });
  let messages = 0;
  let finished = false;
  let markerSeen = false;
  let ending = false;
  let settle: (r: DrainResult) => void = () => {};
  const done = new Promise<DrainResult>((r) => {
    settle = r;
  });
  const finish = (r: DrainResult) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    settle(r);
  };
  const timer = setTimeout(() => {
    if (finished) return;
    void client.endAsync(true);
    finish({
      ok: false,
      reason: `the session "${clientId}" was not drained within ${deps.timeoutMs ?? 120_000} ms`,
      messages,
    });
  }, deps.timeoutMs ?? 120_000);

  const acks = new AckQueue((messageIds) => {
    if (client.connected) client.stream.write(pubackPackets(messageIds));
  });

  // What was read and not yet journaled: reading stops while it is full (read-window.ts), since
  // Mosquitto sends far past the Receive Maximum once PUBACKs flow and a big queued backlog would
  // otherwise be read into memory at once.
  const window = new ReadWindow(receiveMaximum, deps.maxPendingBytes ?? READ_WINDOW_MAX_BYTES);
  async function end(): Promise<void> {
    // The last PUBACKs ahead of the DISCONNECT: the session ends with it.
    acks.flush();
    // Session expiry 0 on DISCONNECT (MQTT 5, 3.14.2.2.2): the broker deletes the session now.
    await client.endAsync(false, { reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
    log.info({ clientId, messages }, "mqtt.adoption_session_drained");
    finish({ ok: true, sessionPresent: true, messages });
  }

  function maybeEnd(): void {
    if (markerSeen && acks.pending === 0 && !finished && !ending) {
      ending = true;
      end().catch((e: Error) =>
        finish({ ok: false, reason: `ending the session failed: ${e.message}`, messages }),
      );
    }
  }

  client.handleMessage = (packet, callback) => {
    const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
    const slot = packet.qos === 1 && packet.messageId !== undefined ? acks.take(packet.messageId) : null;
    if (packet.topic === marker) {
      if (payload.toString("utf8") === nonce) markerSeen = true;
      if (slot) acks.done(slot);
      window.readOn(callback, slot ? ACK_DEFERRED : undefined);
      maybeEnd();
      return;
    }
    messages += 1;
    const msg = { topic: packet.topic, payload, username: null, clientId: null, retained: packet.retain };
    const ticket = window.enter(payload.length + packet.topic.length);
    deps.ingest(msg).then(
      () => {
        window.leave(ticket);
        if (slot) acks.done(slot);
        maybeEnd();
      },
      (err: Error) => {
        window.leave(ticket);
        // Not acknowledged: it stays in the session; this adoption ends and is tried again later.
        log.error({ clientId, err: err.message }, "mqtt.adoption_journal_failed");
        client.stream?.destroy();
      },
    );
    window.readOn(callback, slot ? ACK_DEFERRED : undefined);
  };

  client.on("close", () => {
    acks.reset();
    // Lets a reader left waiting go, so the closed connection's stream can finish.
    window.reset();
    if (!finished && !ending) {
      finish({
        ok: false,
        reason: `the connection as "${clientId}" closed before the session was drained (its owner may have taken it back)`,
        messages,
      });
    }
  });
  client.on("error", (err) => log.warn({ url: where, clientId, err: err.message }, "mqtt.adoption_error"));
  client.once("connect", (connack) => {
    if (!connack.sessionPresent) {
      // Nothing was kept for this id (already drained, or never made): leave nothing behind.
      client
        .endAsync(false, { reasonCode: 0, properties: { sessionExpiryInterval: 0 } })
        .then(() => finish({ ok: true, sessionPresent: false, messages }))
        .catch((e: Error) => finish({ ok: false, reason: e.message, messages }));
      return;
    }
    log.info({ url: where, clientId }, "mqtt.adoption_session_resumed");
    (async () => {
      await client.unsubscribeAsync([...deps.filters]);
      await client.subscribeAsync(marker, { qos: 1 });
      await client.publishAsync(marker, nonce, { qos: 1 });
    })().catch((e: Error) => {
      if (finished) return;
      log.warn({ clientId, err: e.message }, "mqtt.adoption_marker_failed");
      client.stream?.destroy();
    });
  });
  client.connect();

  return {
    clientId,
    done,
    async abandon(reason) {
      if (finished) return;
      finish({ ok: false, reason, messages });
      // A plain close: the session, and whatever it still holds, stays for its owner.
      await client.endAsync(true);
    },
  };
}
