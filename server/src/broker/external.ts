import { PROBE_TOPIC_FILTERS } from "@coldtrail/firmware-bridge/protocol";
import type { MqttClient } from "mqtt";
import type { IncomingMessage, IngestOutcome, IngestThen } from "../ingest/ingest.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { connectExternalConnection, type ExternalConnection } from "./external-connection.js";
import type { ExternalBrokerState } from "./external-state.js";
import { drainTopic } from "./instance-presence.js";
import { type InstanceWatch, startInstanceWatch } from "./instance-watch.js";
import { type FirstConnectStage, meansNoSharedSubscriptions, sharedFilter } from "./shared-subscription.js";

/** A judging copy's outcome: handed to the rules, nothing journaled. */
const JUDGED: IngestOutcome = { ok: true, readings: 0, refused: 0 };

export interface ExternalBrokerDeps {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /**
   * Stable client id of the first connection (the others add `-1`, `-2`, …), so the broker keeps
   * each persistent session and its queued QoS 1 messages. Each instance needs its own.
   */
  clientId?: string;
  /** Connections sharing the readings when `shareGroup` is set. Default 4. */
  clients?: number;
  /**
   * The MQTT 5 shared subscription group: instances with the same group share the readings.
   * Unset: one connection with the plain filters (every instance gets every reading).
   */
  shareGroup?: string | undefined;
  /**
   * With a share group: seconds an instance of the group stays offline before this one may adopt
   * its sessions and drain what the broker queued for them (instance-watch.ts). Null: never.
   */
  adoptAfterS?: number | null;
  /** MQTT 5 Receive Maximum of each connection. */
  receiveMaximum?: number;
  /** "3.1.1": one plain subscription, never MQTT 5. Default "5" (falls back to 3.1.1 by itself). */
  protocol?: "5" | "3.1.1";
  log: Logger;
  metrics: Pick<Metrics, "mqttExternalConnected" | "mqttExternalReconnects" | "journalFailures">;
  ingest(msg: IncomingMessage): Promise<IngestOutcome>;
  /** `ingest` with a callback (ingest.ts `handleThen`): the ingest connections' path when given. */
  ingestThen?: IngestThen;
  /**
   * With a share group: each instance must judge every reading, in order (docs/high-availability.md
   * item 1), so one more connection (client id `<clientId>-judge`) subscribes plainly to the
   * readings topics and hands each message here, for judging only: never journaled or stored.
   * Not used without a share group (the ingest connection then sees every reading).
   */
  judge?: (msg: IncomingMessage) => void;
  /**
   * The judging connection's MQTT 5 Session Expiry Interval, seconds (default 300): the broker
   * keeps its queue across a restart or a blip, and drops it once a retired instance stays gone.
   */
  judgeSessionExpiryS?: number;
  now?: () => number;
  /** [0, 1) for the back-off jitter; default Math.random. */
  random?: () => number;
}

/** The judging session's expiry when none is given (COLDTRAIL_MQTT_JUDGE_SESSION_EXPIRY_S's default). */
export const DEFAULT_JUDGE_SESSION_EXPIRY_S = 300;

/** What the judging connection subscribes to: the topics that carry readings (not status). */
export const JUDGING_FILTERS = PROBE_TOPIC_FILTERS.filter((f) => !f.endsWith("/status"));

export interface ExternalBroker {
  /** The first connection's client, for what the server publishes (alerts). */
  client: MqttClient;
  /** "shared": MQTT 5 shared subscription over `connections`; "plain": one 3.1.1 subscription. */
  mode: "shared" | "plain";
  connections: number;
  /** True when a judging connection feeds `judge` (shared mode with `judge` given). */
  judging: boolean;
  state(): ExternalBrokerState;
  /** Instances whose sessions this one is draining now (shared mode with adoption). */
  adopting(): string[];
  close(): Promise<void>;
}

const STATE_RANK: Record<ExternalBrokerState["state"], number> = {
  "journal-failing": 3,
  reconnecting: 2,
  connecting: 1,
  connected: 0,
};

/**
 * Ingest from an external broker (Mosquitto in production). Without a share group: one MQTT 5
 * connection (3.1.1 when the broker refuses 5) holding the probe filters. With a share group: a
 * pool of connections holding `$share/<group>/<probe filters>`; the broker hands each message to
 * one member of the group, so the connections of this instance, and every instance with the same
 * group, share the readings. Every connection reads ahead up to its Receive Maximum and
 * acknowledges each message only after its journal commit (external-connection.ts), so a PUBACK
 * still means durable. A broker without shared subscriptions gets one plain subscription, with a
 * log line saying so.
 */
export async function connectExternalBroker(deps: ExternalBrokerDeps): Promise<ExternalBroker> {
  const { log, metrics } = deps;
  const base = deps.clientId ?? "coldtrail-ingest";
  const group = deps.shareGroup;
  const wanted = Math.max(1, deps.clients ?? 4);
  const plain = [...PROBE_TOPIC_FILTERS];
  const shared = plain.map((f) => sharedFilter(group ?? "", f));
  const u = new URL(deps.url);
  const where = `${u.protocol}//${u.host}`;

  const up: boolean[] = [];
  const connectedChanged = () =>
    metrics.mqttExternalConnected.set(up.length > 0 && up.every(Boolean) ? 1 : 0);

  const fallsBack = (e: unknown) => {
    const err = e as Error & { code?: unknown; stage?: FirstConnectStage };
    return meansNoSharedSubscriptions(err.stage ?? "connect", err);
  };

  /** What every connection of this broker shares: the login, the clock, and its slot in `up`. */
  const common = (i: number) => ({
    url: deps.url,
    username: deps.username,
    password: deps.password,
    ...(deps.receiveMaximum !== undefined && { receiveMaximum: deps.receiveMaximum }),
    log,
    onConnected(c: boolean) {
      up[i] = c;
      connectedChanged();
    },
    metrics,
    ...(deps.now && { now: deps.now }),
    ...(deps.random && { random: deps.random }),
  });

  function open(
    i: number,
    protocolVersion: 4 | 5,
    filters: string[],
    staleFilters: string[],
    share: boolean,
  ) {
    up[i] = false;
    return connectExternalConnection({
      ...common(i),
      clientId: i === 0 ? base : `${base}-${i}`,
      protocolVersion,
      filters,
      // An adopter that was interrupted leaves its drain-marker subscription in the session.
      staleFilters: share ? [...staleFilters, drainTopic(i === 0 ? base : `${base}-${i}`)] : staleFilters,
      resubscribeAlways: share,
      ...(deps.ingestThen ? { ingestThen: deps.ingestThen } : { ingest: deps.ingest }),
    });
  }

  const conns: ExternalConnection[] = [];
  let mode: ExternalBroker["mode"] = "plain";
  const mqtt5 = (deps.protocol ?? "5") === "5";
  const ids = Array.from({ length: wanted }, (_, i) => (i === 0 ? base : `${base}-${i}`));
  // Presence first: an instance adopting this one's sessions sees it back before the ingest
  // connections take the sessions over.
  let watch: InstanceWatch | null =
    group !== undefined && mqtt5 && deps.adoptAfterS !== null
      ? startInstanceWatch({
          url: deps.url,
          username: deps.username,
          password: deps.password,
          self: base,
          group,
          clientIds: ids,
          graceMs: (deps.adoptAfterS ?? 60) * 1000,
          filters: [...shared, ...plain],
          ...(deps.receiveMaximum !== undefined && { receiveMaximum: deps.receiveMaximum }),
          log,
          ingest: deps.ingest,
          ...(deps.now && { now: deps.now }),
        })
      : null;
  try {
    if (group !== undefined && mqtt5) {
      try {
        // The first connection may have held the plain filters (before a group was configured).
        conns.push(await open(0, 5, shared, plain, true));
        mode = "shared";
      } catch (e) {
        if (!fallsBack(e)) throw e;
        log.warn(
          {
            url: where,
            err: (e as Error).message,
            code: (e as { code?: unknown }).code,
            fix: "use a broker with MQTT 5 shared subscriptions (Mosquitto ≥ 1.6), or unset COLDTRAIL_MQTT_SHARE_GROUP",
          },
          "mqtt.external_shared_subscriptions_refused_using_one_plain_subscription",
        );
      }
    } else if (group !== undefined) {
      log.warn(
        { url: where, fix: "COLDTRAIL_MQTT_PROTOCOL=5 to share readings" },
        "mqtt.external_share_group_needs_mqtt5_using_one_plain_subscription",
      );
    }
    if (mode === "shared") {
      for (let i = 1; i < wanted; i++) conns.push(await open(i, 5, shared, [], true));
    } else if (mqtt5 && conns.length === 0 && group === undefined) {
      try {
        conns.push(await open(0, 5, plain, [], false));
      } catch (e) {
        if (!fallsBack(e) || (e as { stage?: FirstConnectStage }).stage === "subscribe") throw e;
        log.warn(
          { url: where, err: (e as Error).message, fix: "COLDTRAIL_MQTT_PROTOCOL=3.1.1 silences this" },
          "mqtt.external_mqtt5_refused_using_mqtt311",
        );
      }
    }
    if (conns.length === 0) conns.push(await open(0, 4, plain, [], false));
  } catch (e) {
    await Promise.all(conns.map((c) => c.close()));
    await watch?.close();
    throw e;
  }
  if (watch && mode !== "shared") {
    await watch.close();
    watch = null;
  }
  let judging: ExternalConnection | null = null;
  if (mode === "shared" && deps.judge) {
    const judge = deps.judge;
    const i = conns.length;
    try {
      judging = await connectExternalConnection({
        ...common(i),
        clientId: `${base}-judge`,
        protocolVersion: 5,
        sessionExpiryS: deps.judgeSessionExpiryS ?? DEFAULT_JUDGE_SESSION_EXPIRY_S,
        filters: JUDGING_FILTERS,
        // Judged, never journaled: acknowledged to the broker once handed over (nothing durable here).
        ingestThen: (msg, done) => {
          judge(msg);
          done(null, JUDGED);
        },
      });
    } catch (e) {
      await Promise.all(conns.map((c) => c.close()));
      await watch?.close();
      throw e;
    }
  }
  up.length = conns.length + (judging ? 1 : 0);
  connectedChanged();
  log.info(
    {
      url: where,
      mode,
      connections: conns.length,
      judging: judging !== null,
      ...(mode === "shared" && { group }),
    },
    "mqtt.external_connected",
  );

  return {
    client: (conns[0] as ExternalConnection).client,
    mode,
    connections: conns.length,
    judging: judging !== null,
    state() {
      let worst = (conns[0] as ExternalConnection).state();
      for (const c of judging ? [...conns, judging] : conns) {
        const s = c.state();
        if (STATE_RANK[s.state] > STATE_RANK[worst.state]) worst = s;
      }
      return worst;
    },
    adopting: () => watch?.adopting() ?? [],
    async close() {
      await watch?.close();
      await Promise.all([...conns, ...(judging ? [judging] : [])].map((c) => c.close()));
    },
  };
}
