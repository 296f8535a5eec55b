import mqtt, { type MqttClient } from "mqtt";
import type { IncomingMessage, IngestOutcome } from "../ingest/ingest.js";
import type { Logger } from "../logger.js";
import {
  adoptionsDue,
  applyPresence,
  INSTANCES_FILTER,
  type InstanceView,
  instanceTopic,
  nextGraceEndMs,
  type PresencePayload,
  parsePresence,
  presencePayload,
} from "./instance-presence.js";
import { type DrainResult, drainSession, type SessionDrain } from "./session-adoption.js";

/** Keep-alive of the presence connection: a dead machine's Will is published 1.5 × this later. */
export const PRESENCE_KEEPALIVE_S = 15;

export interface InstanceWatchDeps {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** This instance's ingest client id (COLDTRAIL_MQTT_INGEST_CLIENT_ID). */
  self: string;
  group: string;
  /** This instance's ingest client ids (the sessions another instance would adopt). */
  clientIds: readonly string[];
  /** How long an instance stays offline before its sessions are adopted. */
  graceMs: number;
  /** Every filter an ingest session may hold, removed from an adopted session before it is drained. */
  filters: readonly string[];
  receiveMaximum?: number;
  log: Logger;
  ingest(msg: IncomingMessage): Promise<IngestOutcome>;
  now?: () => number;
  /** One adopted session may take this long before the adoption is tried again; default 120 s. */
  drainTimeoutMs?: number;
}

export interface InstanceWatch {
  /** Instances whose sessions this one is draining now. */
  adopting(): string[];
  close(): Promise<void>;
}

interface Adoption {
  drains: SessionDrain[];
  abandoned: boolean;
}

/**
 * Presence and adoption for ingest with a share group (#13): a clean-session connection keeps
 * this instance's retained "online" at `coldtrail/v1/instances/{self}`, with a Last Will
 * "offline", and watches every instance's. An instance of the same group that stays offline for
 * `graceMs` has its persistent ingest sessions adopted by one survivor (instance-presence.ts
 * `adopterFor`): each is drained (session-adoption.ts), journaled and acknowledged as usual, then
 * ended, and its retained presence is cleared. When the owner comes back meanwhile, the adoption
 * is abandoned and the sessions stay for it. Failures here never stop ingest: they are logged.
 */
export function startInstanceWatch(deps: InstanceWatchDeps): InstanceWatch {
  const { log, self, group } = deps;
  const now = deps.now ?? Date.now;
  const u = new URL(deps.url);
  const where = `${u.protocol}//${u.host}`;
  const since = new Date(now()).toISOString();
  const adoptions = new Map<string, Adoption>();
  const mine = (state: PresencePayload["state"]) =>
    presencePayload({
      state,
      group,
      clientIds: [...deps.clientIds],
      since,
      ...(state === "online" && adoptions.size > 0 && { adopting: [...adoptions.keys()].sort() }),
    });
  const topic = instanceTopic(self);
  const client: MqttClient = mqtt.connect(deps.url, {
    clientId: `${self}-presence`,
    clean: true,
    protocolVersion: 5,
    keepalive: PRESENCE_KEEPALIVE_S,
    reconnectPeriod: 1000,
    resubscribe: false,
    username: deps.username,
    password: deps.password,
    will: { topic, payload: Buffer.from(mine("offline")), qos: 1, retain: true },
  });
  let view = new Map<string, InstanceView>();
  /** After a failed adoption, not again before this (ms): its owner may have taken it back. */
  const retryAt = new Map<string, number>();
  let timer: NodeJS.Timeout | null = null;
  let closing = false;
  let lastForeignOnlineMs = Number.NEGATIVE_INFINITY;

  function announce(): void {
    client.publishAsync(topic, mine("online"), { qos: 1, retain: true }).catch((e: Error) => {
      log.warn(
        {
          url: where,
          topic,
          err: e.message,
          fix: "allow coldtrail's login to publish and subscribe coldtrail/v1/instances/#",
        },
        "mqtt.presence_publish_failed",
      );
    });
  }

  client.on("connect", () => {
    announce();
    client.subscribeAsync(INSTANCES_FILTER, { qos: 1 }).then(
      (granted) => {
        const refused = granted.find((g) => g.qos >= 0x80);
        if (refused) {
          log.warn(
            {
              url: where,
              filter: INSTANCES_FILTER,
              code: refused.qos,
              fix: "allow coldtrail's login to subscribe coldtrail/v1/instances/# (mosquitto-dynsec.ts does)",
            },
            "mqtt.presence_subscribe_refused_no_adoption",
          );
        }
      },
      (e: Error) => log.warn({ url: where, err: e.message }, "mqtt.presence_subscribe_failed"),
    );
  });
  client.on("error", (e) => log.warn({ url: where, err: e.message }, "mqtt.presence_error"));

  client.on("message", (t, payload) => {
    const parsed = parsePresence(t, payload);
    if (!parsed.ok) {
      log.warn({ topic: t.slice(0, 200), reason: parsed.reason }, "mqtt.presence_unreadable");
      return;
    }
    const { id, presence } = parsed;
    if (id === self) {
      // Ours: a late Will of an earlier run, or a cleared topic. Say "online" again.
      if (presence === null || presence.state !== "online") announce();
      else if (presence.since !== since && now() - lastForeignOnlineMs > 10_000) {
        lastForeignOnlineMs = now();
        log.warn(
          {
            instance: self,
            since: presence.since,
            fix: "give each instance its own COLDTRAIL_MQTT_INGEST_CLIENT_ID",
          },
          "mqtt.presence_same_client_id_elsewhere",
        );
        announce();
      }
      return;
    }
    const before = view.get(id);
    view = applyPresence(view, id, presence, now());
    if (presence?.group === group && presence.state === "offline" && before?.offlineSinceMs == null) {
      log.info({ instance: id, graceMs: deps.graceMs }, "mqtt.instance_offline");
    }
    if (presence?.state === "online") {
      const a = adoptions.get(id);
      if (a) abandon(id, a, "its owner is online again");
    }
    reconcile();
  });

  function abandon(id: string, a: Adoption, reason: string): void {
    a.abandoned = true;
    adoptions.delete(id);
    log.info({ instance: id, reason }, "mqtt.adoption_abandoned");
    if (!closing) announce();
    for (const d of a.drains) void d.abandon(reason);
  }

  function adopt(id: string, p: PresencePayload): void {
    const drains = p.clientIds.map((clientId) =>
      drainSession({
        url: deps.url,
        username: deps.username,
        password: deps.password,
        clientId,
        filters: deps.filters,
        ...(deps.receiveMaximum !== undefined && { receiveMaximum: deps.receiveMaximum }),
        log,
        ingest: deps.ingest,
        ...(deps.drainTimeoutMs !== undefined && { timeoutMs: deps.drainTimeoutMs }),
      }),
    );
    const a: Adoption = { drains, abandoned: false };
    adoptions.set(id, a);
    log.info({ instance: id, clientIds: p.clientIds }, "mqtt.adoption_started");
    announce();
    void Promise.all(drains.map((d) => d.done)).then((results: DrainResult[]) => {
      if (a.abandoned || closing) return;
      adoptions.delete(id);
      retryAt.delete(id);
      announce();
      const messages = results.reduce((n, r) => n + r.messages, 0);
      const failed = results.filter((r) => !r.ok);
      if (failed.length > 0) {
        log.warn(
          { instance: id, messages, reasons: failed.map((r) => (r.ok ? "" : r.reason)) },
          "mqtt.adoption_incomplete_retrying",
        );
        const wait = Math.max(1000, deps.graceMs);
        retryAt.set(id, now() + wait);
        schedule(wait);
        return;
      }
      const still = view.get(id);
      log.info({ instance: id, messages }, "mqtt.adoption_done");
      // Cleared only while it is still offline: an owner that came back keeps its "online".
      if (still && still.offlineSinceMs !== null) {
        client.publishAsync(instanceTopic(id), "", { qos: 1, retain: true }).catch((e: Error) => {
          log.warn({ instance: id, err: e.message }, "mqtt.presence_clear_failed");
        });
        view = applyPresence(view, id, null, now());
      }
    });
  }

  function reconcile(): void {
    if (closing) return;
    const t = now();
    for (const id of adoptionsDue(view, self, group, deps.graceMs, t)) {
      const v = view.get(id);
      if (v && !adoptions.has(id) && (retryAt.get(id) ?? 0) <= t) adopt(id, v.presence);
    }
    const next = nextGraceEndMs(view, self, group, deps.graceMs, t);
    if (next !== null) schedule(next);
  }

  function schedule(ms: number): void {
    if (closing) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      reconcile();
    }, ms);
    timer.unref();
  }

  return {
    adopting: () => [...adoptions.keys()],
    async close() {
      closing = true;
      if (timer) clearTimeout(timer);
      for (const [id, a] of adoptions) abandon(id, a, "this instance is stopping");
      // A graceful stop publishes the Will too (MQTT 5 DISCONNECT reason 0x04 "with Will
      // Message"): survivors wait the grace as for a crash, and drain the sessions if this
      // instance does not come back. A plain DISCONNECT would leave a stale "online".
      await Promise.race([
        client.endAsync(false, { reasonCode: 0x04 }),
        new Promise((r) => setTimeout(r, 2000).unref()),
      ]);
      await client.endAsync(true);
    },
  };
}
