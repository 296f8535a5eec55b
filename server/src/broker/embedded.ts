import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { TOPIC_ROOT } from "@coldtrail/firmware-bridge/protocol";
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from "aedes";
import type { Registry } from "prom-client";
import { type IncomingMessage, type IngestOutcome, type IngestThen, ingestThenOf } from "../ingest/ingest.js";
import type { Logger } from "../logger.js";
import { secretMatches } from "../registry/secrets.js";
import { clientIdForRecord, createClientIdOwners } from "./client-id.js";
import { createEmbeddedBrokerMetrics } from "./embedded-metrics.js";
import { GuardedSocket } from "./guarded-socket.js";
import {
  ABUSE_DROPS,
  CONNECT_TIMEOUT_MS,
  LOGIN_FAILURE_WINDOW_MS,
  LOGIN_FAILURES_BEFORE_LOCK,
  LOGIN_LOCK_FIRST_MS,
  LOGIN_LOCK_MAX_MS,
  LOGIN_TRACKED_KEYS,
  MAX_CLIENT_ID_CHARS,
  MAX_INFLIGHT_PER_CONNECTION,
  MAX_PACKET_BYTES,
  MAX_RETAINED_STATUS_BYTES,
  type MqttLimits,
  PUBLISH_BURST,
  PUBLISH_PER_SECOND,
  QUEUE_LIMIT,
} from "./limits.js";
import { createLoginThrottle } from "./login-throttle.js";
import { pubackPackets } from "./puback.js";
import type { FastPublish } from "./publish-splitter.js";
import { createReadingPersistence, createReadingRouter } from "./reading-routes.js";
import { createTokenBucket, type TokenBucket } from "./token-bucket.js";

export interface EmbeddedBrokerDeps {
  port: number;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** An `mqtts` listener besides the plain one, with PEM certificate and key. */
  tls?: { port: number; cert: Buffer; key: Buffer } | undefined;
  limits: MqttLimits;
  /** How long a socket may stay without CONNECT; default CONNECT_TIMEOUT_MS (tests shorten it). */
  connectTimeoutMs?: number;
  /** Publish rate per probe; the defaults are limits.ts' (tests may change them). */
  publishRate?: { perSecond: number; burst: number; abuseDrops: number };
  log: Logger;
  /** Where the broker's counters are registered. */
  registry: Registry;
  /** The stored secret hash of a probe, or null if unknown. */
  secretHashOf(probeId: string): string | null;
  ingest(msg: IncomingMessage): Promise<IngestOutcome>;
  /**
   * `ingest` with a callback, used instead when given: one call a message on the hot path, without
   * a promise and its closures (issue #12). `done` is never called before it returns.
   */
  ingestThen?: IngestThen;
  now?: () => number;
}

export interface EmbeddedBroker {
  aedes: Aedes;
  port: number;
  /** The `mqtts` listener's port, when there is one. */
  tlsPort: number | undefined;
  /** Readings taken by the fast path (aedes never parsed them) since start. */
  readonly fastPublishes: number;
  /** Closes every connection of a probe (its secret changed); resolves to how many there were. */
  disconnectProbe(probeId: string): number;
  close(): Promise<void>;
}

/** aedes' default `concurrency`: messages its router delivers at once. */
const AEDES_CONCURRENCY = 100;

/** MQTT 3.1.1 CONNACK return codes (spec §3.2.2.3). */
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

type ProbeClient = Client & { probeId?: string };

/**
 * aedes' keepalive timer on a client (private): what aedes refreshes for each packet it handles,
 * so the fast path refreshes it for the packets aedes does not see.
 */
interface KeepaliveFields {
  _keepaliveInterval: number;
  _keepaliveTimer: NodeJS.Timeout | null;
}

/** What the broker keeps per connection. */
interface Connection {
  address: string;
  /** QoS 1/2 messages handed to ingest and not yet answered, and those waiting for a turn. */
  inflight: number;
  waiting: Waiting[];
  /**
   * QoS 1 PUBLISHes the fast path left to aedes and aedes has not answered yet: while there are
   * any, the fast path leaves the next ones to aedes too, so PUBACKs keep the PUBLISHes' order
   * (MQTT 3.1.1 §4.6).
   */
  passedQoS1: number;
  /** Fast-path PUBACKs to write at the end of this tick (flushPubacks). */
  pubacks: number[];
  /** The connection's own reading topics and its client id for records, once it is logged in. */
  own: { readings: string; tempC: string; clientId: string } | null;
}

/** A QoS 1/2 message waiting for its turn (kept as data: no closure per message on the hot path). */
interface Waiting {
  client: Client;
  packet: PublishPacket;
  done: (err?: Error | null) => void;
}

function refusal(returnCode: number, message: string): AuthenticateError {
  const err = new Error(message) as AuthenticateError;
  err.returnCode = returnCode;
  return err;
}

/**
 * The embedded aedes broker. Probes authenticate with username = probe id and password = the
 * secret issued at registration, with a client id that is their own (client-id.ts). A probe may
 * publish only under its own id and subscribe only to its own topics. A QoS 1 PUBACK is sent only
 * after `ingest` resolved, i.e. after the readings are durable in the journal (aedes acknowledges
 * once `authorizePublish` calls back). Limits (limits.ts, docs/protocol.md "Broker limits"): packet
 * size, connections in all and per probe, failed-login throttle, publish rate per probe, messages
 * in flight per connection, retained messages only on the status topic.
 */
export async function startEmbeddedBroker(deps: EmbeddedBrokerDeps): Promise<EmbeddedBroker> {
  const { log, limits } = deps;
  const ingest: IngestThen = deps.ingestThen ?? ingestThenOf(deps.ingest);
  const now = deps.now ?? Date.now;
  const rate = deps.publishRate ?? {
    perSecond: PUBLISH_PER_SECOND,
    burst: PUBLISH_BURST,
    abuseDrops: ABUSE_DROPS,
  };
  const metrics = createEmbeddedBrokerMetrics(deps.registry);
  const throttle = createLoginThrottle({
    failuresBeforeLock: LOGIN_FAILURES_BEFORE_LOCK,
    firstLockMs: LOGIN_LOCK_FIRST_MS,
    maxLockMs: { address: 15 * LOGIN_LOCK_MAX_MS, username: LOGIN_LOCK_MAX_MS },
    windowMs: LOGIN_FAILURE_WINDOW_MS,
    maxKeys: LOGIN_TRACKED_KEYS,
  });
  const connections = new WeakMap<Client, Connection>();
  const probeClients = new Map<string, Set<ProbeClient>>();
  /** Per probe, kept across its connections: a reconnect does not refill them. */
  const buckets = new Map<string, { publish: TokenBucket; abuse: TokenBucket }>();
  let openSockets = 0;

  const bucketsOf = (probeId: string) => {
    let b = buckets.get(probeId);
    if (!b) {
      b = {
        publish: createTokenBucket(rate.burst, rate.perSecond, now()),
        abuse: createTokenBucket(rate.abuseDrops, rate.perSecond, now()),
      };
      buckets.set(probeId, b);
    }
    return b;
  };

  const clientIds = createClientIdOwners((id) => deps.secretHashOf(id) !== null);
  const forget = (client: ProbeClient) => {
    if (!client.probeId) return;
    // A persistent session stays its probe's after a disconnect; a clean one frees its id.
    if (client.clean) clientIds.release(client.id, client.probeId);
    const set = probeClients.get(client.probeId);
    set?.delete(client);
    if (set?.size === 0) probeClients.delete(client.probeId);
  };

  const router = createReadingRouter(AEDES_CONCURRENCY);
  const persistence = createReadingPersistence();
  const readingsUnwatched = () => !router.watchesReadings() && !persistence.watchesReadings();
  /** Readings the fast path took (for tests: that it is in use). */
  let fastPublishes = 0;

  const aedes = await Aedes.createBroker({
    connectTimeout: deps.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    queueLimit: QUEUE_LIMIT,
    maxInflightInbound: MAX_INFLIGHT_PER_CONNECTION,
    // aedes' own defaults, except that a reading nobody subscribed to is not looked up twice.
    mq: router,
    // biome-ignore lint/suspicious/noExplicitAny: aedes' persistence type is not exported; this is its own memory persistence
    persistence: persistence as any,
    // aedes checks this for MQTT 3.1 only; authenticate checks it for every version.
    maxClientsIdLength: MAX_CLIENT_ID_CHARS,
    authenticate(client: ProbeClient, username, password, done) {
      const address = connections.get(client)?.address ?? "unknown";
      const user = username ?? "";
      const clientId = clientIdForRecord(client.id);
      const refuse = (reason: string, code: number, message: string, extra: object = {}) => {
        metrics.refused.inc({ reason });
        log.warn({ clientId, username: user.slice(0, 64), address, ...extra }, `mqtt.refused.${reason}`);
        done(refusal(code, message), false);
      };
      if (client.id.length > MAX_CLIENT_ID_CHARS) {
        return refuse(
          "client_id_too_long",
          IDENTIFIER_REJECTED,
          `client id of ${client.id.length} characters; at most ${MAX_CLIENT_ID_CHARS} allowed`,
        );
      }
      // MQTT 3.1.1 §1.5.3: strings are well-formed UTF-8 without U+0000; what the parser could not
      // decode arrives as U+FFFD.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what MQTT forbids here
      if (/[\u0000-\u001f\ufffd]/.test(client.id)) {
        return refuse(
          "client_id_invalid",
          IDENTIFIER_REJECTED,
          "client id must be UTF-8 text without control characters",
        );
      }
      const lock = throttle.check(address, user, now());
      if (lock.locked) {
        // Refused without checking the password: guessing gets no answer while locked.
        return refuse(
          "login_locked",
          SERVER_UNAVAILABLE,
          `too many failed logins from this ${lock.key}; retry in ${Math.ceil(lock.retryInMs / 1000)} s`,
          { lockedBy: lock.key, retryInMs: lock.retryInMs },
        );
      }
      const hash = user ? deps.secretHashOf(user) : null;
      if (!hash || !secretMatches(password, hash)) {
        throttle.failed(address, user, now());
        return refuse("bad_login", BAD_USERNAME_OR_PASSWORD, "bad username or password");
      }
      const notOwn = clientIds.refusal(client.id, user);
      if (notOwn !== null) return refuse("client_id_not_own", NOT_AUTHORIZED, notOwn);
      throttle.succeeded(user);
      const others = [...(probeClients.get(user) ?? [])].filter((c) => c.id !== client.id && !c.closed);
      if (others.length >= limits.maxConnectionsPerProbe) {
        return refuse(
          "probe_connection_limit",
          SERVER_UNAVAILABLE,
          `probe already has ${others.length} connections; at most ${limits.maxConnectionsPerProbe}`,
        );
      }
      client.probeId = user;
      clientIds.claim(client.id, user);
      const set = probeClients.get(user) ?? new Set<ProbeClient>();
      set.add(client);
      probeClients.set(user, set);
      done(null, true);
    },
    authorizePublish(client, packet, done) {
      if (!client) return ingestAndAnswer(null, packet, done);
      const probeId = (client as ProbeClient).probeId ?? null;
      const conn = connections.get(client);
      if (!probeId || !conn) return done(new Error("not logged in"));
      // §4.7.3: a topic name must not contain U+0000 (or bytes that are not UTF-8): a protocol error.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is what MQTT forbids in a topic
      if (/[\u0000\ufffd]/.test(packet.topic)) {
        metrics.refused.inc({ reason: "topic_invalid" });
        client.close();
        return done(new Error("topic name is not valid UTF-8 text"));
      }
      if (packet.retain && !mayRetain(probeId, packet)) {
        // Kept from the broker's retained store; the message itself is handled as usual.
        packet.retain = false;
        metrics.dropped.inc({ reason: "retain_not_allowed" });
        log.warn(
          { probeId, topic: packet.topic.slice(0, 200), bytes: packet.payload.length },
          "mqtt.retain_refused",
        );
      }
      // The last will: aedes publishes it once the connection is closed, through here.
      if (client.closed) return ingestAndAnswer(client, packet, done);
      const b = bucketsOf(probeId);
      if (packet.qos === 0) {
        if (b.publish.take(now())) return ingestAndAnswer(client, packet, done);
        metrics.dropped.inc({ reason: "rate_limit" });
        if (!b.abuse.take(now())) {
          metrics.refused.inc({ reason: "publish_abuse" });
          log.warn({ probeId, clientId: clientIdForRecord(client.id) }, "mqtt.publish_abuse_disconnected");
          client.close();
        }
        packet.retain = false; // nor kept as the topic's retained message
        return done(null); // dropped: not ingested
      }
      // QoS 1/2: not rate-limited (a replay of history may go as fast as the journal takes it), but
      // at most MAX_INFLIGHT_PER_CONNECTION at once: the rest wait for their turn, the PUBACK with
      // them, and aedes reads no more from the socket meanwhile.
      const answer =
        packet.qos === 1
          ? (err?: Error | null) => {
              if (conn.passedQoS1 > 0) conn.passedQoS1--;
              flushPubacks(client, conn);
              done(err);
            }
          : done;
      if (conn.inflight < MAX_INFLIGHT_PER_CONNECTION) startInTurn(conn, client, packet, answer);
      else conn.waiting.push({ client, packet, done: answer });
    },
    authorizeSubscribe(client, sub, done) {
      const probeId = (client as ProbeClient).probeId;
      const own = `${TOPIC_ROOT}/probes/${probeId}/`;
      // Wildcards after the probe's own prefix cannot reach another probe's topics.
      if (probeId && sub.topic.startsWith(own)) return done(null, sub);
      log.warn(
        { clientId: clientIdForRecord(client.id), probeId, topic: sub.topic.slice(0, 200) },
        "mqtt.subscribe_refused",
      );
      done(null, null); // SUBACK 0x80 for this topic
    },
  });

  function mayRetain(probeId: string, packet: PublishPacket): boolean {
    return (
      packet.topic === `${TOPIC_ROOT}/probes/${probeId}/status` &&
      packet.payload.length <= MAX_RETAINED_STATUS_BYTES
    );
  }

  function startInTurn(
    conn: Connection,
    client: Client,
    packet: PublishPacket,
    done: (err?: Error | null) => void,
  ): void {
    conn.inflight++;
    if (client.closed) answerInTurn(conn, done, new Error("connection closed"));
    else ingestAndAnswer(client, packet, done, conn);
  }

  /** A QoS 1/2 message was answered: the next one waiting takes its turn, then the PUBACK goes. */
  function answerInTurn(conn: Connection, done: (err?: Error | null) => void, err: Error | null): void {
    turnEnded(conn);
    done(err);
  }

  /** A message in flight on `conn` (aedes' or the fast path's) was answered: the next one starts. */
  function turnEnded(conn: Connection): void {
    conn.inflight--;
    const next = conn.waiting.shift();
    if (next) startInTurn(conn, next.client, next.packet, next.done);
  }

  function settle(inTurn: Connection | undefined, done: (err?: Error | null) => void, err: Error | null) {
    if (inTurn) answerInTurn(inTurn, done, err);
    else done(err);
  }

  /** Ingests the message, then calls `done` (through `answerInTurn` when `inTurn` counts it). */
  function ingestAndAnswer(
    client: Client | null,
    packet: PublishPacket,
    done: (err?: Error | null) => void,
    inTurn?: Connection,
  ) {
    const probeId = client ? ((client as ProbeClient).probeId ?? null) : null;
    const msg: IncomingMessage = {
      topic: packet.topic,
      payload: typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload,
      username: probeId,
      clientId: client ? clientIdForRecord(client.id) : null,
    };
    // Anonymous callbacks, not a named closure: tsx (how the server runs) compiles with keepNames,
    // which wraps every named closure in a `__name` call, per message here (1–2% of the CPU).
    ingest(msg, (err, outcome) => answered(msg.clientId, inTurn, done, err, outcome));
  }

  /** The ingest outcome of a message (or the journal's error), as its PUBACK or its absence. */
  function answered(
    clientId: string | null,
    inTurn: Connection | undefined,
    done: (err?: Error | null) => void,
    err: Error | null,
    outcome?: IngestOutcome,
  ): void {
    if (err) {
      log.error({ clientId, err: err.message }, "ingest.journal_failed");
      settle(inTurn, done, err); // no PUBACK: the device keeps the message and sends it again
      return;
    }
    // A probe writing where it may not is disconnected (MQTT 3.1.1 has no negative PUBACK).
    // A malformed message is acknowledged: it is kept as a dead letter, and a device that
    // re-sent it forever would block the good readings queued behind it.
    settle(inTurn, done, outcome && !outcome.ok && outcome.forbidden ? new Error(outcome.message) : null);
  }

  /**
   * The fast path (issue #12): a QoS 1 reading on the probe's own topic, from a logged-in
   * connection, is taken out of the socket's bytes before aedes parses it (guarded-socket.ts),
   * journaled, and acknowledged here; aedes never sees it. It is what aedes would do with it: no
   * subscription could receive a reading while `readingsUnwatched` holds (reading-routes.ts), the
   * topic is the probe's own, the message is not retained, and it takes its turn among the
   * connection's messages in flight. Anything else (QoS 0 and its rate limit, retained, status and
   * other topics, a connection not yet logged in) is aedes' as before.
   */
  function takesFast(client: ProbeClient, conn: Connection, p: FastPublish): boolean {
    if (p.qos !== 1) return false;
    const taken =
      !p.retain &&
      conn.passedQoS1 === 0 &&
      conn.inflight < MAX_INFLIGHT_PER_CONNECTION &&
      client.connected &&
      !client.closed &&
      typeof (client as unknown as KeepaliveFields)._keepaliveInterval === "number" &&
      readingsUnwatched() &&
      isOwnReadingTopic(ownTopics(client, conn), p.topic);
    if (!taken) conn.passedQoS1++;
    return taken;
  }

  function ownTopics(client: ProbeClient, conn: Connection): Connection["own"] {
    if (conn.own === null && client.probeId) {
      const prefix = `${TOPIC_ROOT}/probes/${client.probeId}/`;
      conn.own = {
        readings: `${prefix}readings`,
        tempC: `${prefix}temp_c`,
        clientId: clientIdForRecord(client.id),
      };
    }
    return conn.own;
  }

  function isOwnReadingTopic(own: Connection["own"], topic: string): boolean {
    return own !== null && (own.readings === topic || own.tempC === topic);
  }

  function onFastPublish(client: ProbeClient, conn: Connection, p: FastPublish): void {
    conn.inflight++;
    // What aedes does for every packet it handles: the probe is alive.
    const keepalive = client as unknown as KeepaliveFields;
    if (keepalive._keepaliveInterval > 0) keepalive._keepaliveTimer?.refresh();
    const messageId = p.messageId as number;
    const msg: IncomingMessage = {
      topic: p.topic,
      payload: p.payload,
      username: client.probeId ?? null,
      clientId: conn.own?.clientId ?? null,
    };
    fastPublishes++;
    ingest(msg, (err, outcome) => fastAnswered(client, conn, messageId, err, outcome));
  }

  /** A fast-path message's ingest outcome: its PUBACK, or (as aedes would) the connection closed. */
  function fastAnswered(
    client: ProbeClient,
    conn: Connection,
    messageId: number,
    err: Error | null,
    outcome?: IngestOutcome,
  ): void {
    turnEnded(conn);
    if (err) {
      log.error({ clientId: conn.own?.clientId ?? null, err: err.message }, "ingest.journal_failed");
      client.close(); // no PUBACK: the device keeps the message and sends it again
      return;
    }
    if (outcome && !outcome.ok && outcome.forbidden) {
      client.close();
      return;
    }
    if (client.closed) return;
    // The PUBACKs answered together (a group commit) go out in one write, after this tick.
    if (conn.pubacks.push(messageId) === 1) process.nextTick(flushPubacks, client, conn);
  }

  /** Writes the connection's pending fast-path PUBACKs, before any PUBACK aedes writes after them. */
  function flushPubacks(client: Client, conn: Connection): void {
    if (conn.pubacks.length === 0) return;
    const ids = conn.pubacks;
    conn.pubacks = [];
    if (!client.closed) client.conn.write(pubackPackets(ids));
  }

  aedes.on("clientError", (client, err) =>
    log.debug({ clientId: clientIdForRecord(client.id), err: err.message }, "mqtt.client_error"),
  );
  aedes.on("client", (client) => log.debug({ clientId: clientIdForRecord(client.id) }, "mqtt.connected"));

  /** Every accepted socket, plain or TLS, goes through here. */
  const accept = (socket: Socket) => {
    const address = socket.remoteAddress ?? "unknown";
    if (openSockets >= limits.maxConnections) {
      metrics.refused.inc({ reason: "connection_limit" });
      log.warn({ address, open: openSockets }, "mqtt.refused.connection_limit");
      socket.destroy();
      return;
    }
    openSockets++;
    const conn: Connection = {
      address,
      inflight: 0,
      waiting: [],
      passedQoS1: 0,
      pubacks: [],
      own: null,
    };
    let client: ProbeClient | undefined;
    const guarded = new GuardedSocket(
      socket,
      MAX_PACKET_BYTES,
      (reason) => {
        metrics.refused.inc({ reason: "packet_too_large" });
        log.warn({ address, reason }, "mqtt.refused.packet_too_large");
      },
      {
        ready: () => client?.connected === true,
        takes: (p) => client !== undefined && takesFast(client, conn, p),
        onPublish: (p) => onFastPublish(client as ProbeClient, conn, p),
      },
    );
    client = aedes.handle(guarded) as ProbeClient;
    connections.set(client, conn);
    socket.once("close", () => {
      openSockets--;
      forget(client as ProbeClient);
    });
  };

  const host = deps.host ?? "127.0.0.1";
  const listen = async (server: Server | TlsServer, port: number): Promise<number> => {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    return typeof address === "object" && address ? address.port : port;
  };

  const server: Server = createServer(accept);
  const port = await listen(server, deps.port);
  let tlsServer: TlsServer | undefined;
  let tlsPort: number | undefined;
  if (deps.tls) {
    tlsServer = createTlsServer(
      {
        cert: deps.tls.cert,
        key: deps.tls.key,
        handshakeTimeout: deps.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      },
      (socket) => accept(socket),
    );
    tlsServer.on("tlsClientError", (err) => log.debug({ err: err.message }, "mqtt.tls_client_error"));
    tlsPort = await listen(tlsServer, deps.tls.port);
  }
  log.info({ host, port, tlsPort }, "mqtt.listening");
  return {
    aedes,
    port,
    tlsPort,
    get fastPublishes() {
      return fastPublishes;
    },
    disconnectProbe(probeId) {
      const clients = [...(probeClients.get(probeId) ?? [])];
      for (const c of clients) {
        metrics.refused.inc({ reason: "secret_rotated" });
        c.close();
      }
      if (clients.length)
        log.info({ probeId, connections: clients.length }, "mqtt.disconnected_on_new_secret");
      return clients.length;
    },
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (tlsServer) {
        const s = tlsServer;
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}
