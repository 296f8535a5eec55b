/**
 * The alerts module's one entry point: `createAlerting(deps)` builds the store, the engine, the
 * channels, the outbox worker and the routes, and returns the hooks the server calls.
 */
import type { SqlClient } from "../db/sql/client.js";
import { notFound } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Reading } from "../reading.js";
import { auditEntriesFor } from "../registry/audit.js";
import type { Probes } from "../registry/probes.js";
import type { Units } from "../registry/units.js";
import type { UnitMonitorState } from "../rules/unit-monitor.js";
import { createChannelStore } from "./channel-store.js";
import type { MqttPublish } from "./channels/mqtt.js";
import { createChannels } from "./channels/registry.js";
import type { WebhookTargetPolicy } from "./channels/webhook-target-guard.js";
import {
  type AlertLookups,
  createAlertEngine,
  type DueBatch,
  type MonitorStore,
  type ProbeLive,
  type StoredReading,
} from "./engine.js";
import { dueNotice } from "./escalation.js";
import { type DiscoveryMessage, homeAssistantDiscovery } from "./home-assistant.js";
import { createAlertHub } from "./hub.js";
import { createNotifyPrefs } from "./notify-prefs.js";
import type { NotifyDeps } from "./notify-routes.js";
import { createOutbox } from "./outbox.js";
import type { VapidKeys } from "./push/vapid.js";
import type { AlertsDeps, ChannelsDeps } from "./routes.js";
import type { SecretBox } from "./secret-box.js";
import { type AlertSettingsInput, resolveAlertSettings } from "./settings.js";
import { type AlertChange, type ChangeGuard, ChangeRefusedError, createAlertStore } from "./store.js";
import {
  type AlertIntent,
  type AlertKey,
  alertKeyOf,
  alertKeyText,
  type ChannelKind,
  NOTIFYING_EVENTS,
} from "./types.js";
import { alertView } from "./view.js";

/** Outbox rows deleted per tick at most: a few milliseconds of the event loop. */
const PRUNE_CHUNK = 5000;

const PUBLIC_WEBHOOKS_ONLY: WebhookTargetPolicy = { allowPrivate: false, ownPorts: () => [] };

export interface AlertingDeps {
  /** The SQL client (SQLite on its own connection, or PostgreSQL): alerts, their events, channels and notification choices. */
  sql: SqlClient;
  units: Units;
  probes: Probes;
  log: Logger;
  now(): number;
  /** Seals channel secrets at rest and opens them to deliver (COLDTRAIL_SECRET_KEY, secret-key.ts). */
  secretBox: SecretBox;
  /**
   * Base URL of the dashboard, for links in emails and webhooks (`${publicUrl}/units/{id}`); a
   * function when it is known only once the server listens.
   */
  publicUrl: string | null | (() => string | null);
  /** COLDTRAIL_SMTP_URL; without it, email channels cannot be created. */
  smtpUrl?: string | null;
  /** Sender of alert emails. Default `coldtrail <alerts@{publicUrl host or localhost}>`. */
  emailFrom?: string;
  /** Publishes on the server's MQTT broker; without it, mqtt channels cannot be created. */
  mqttPublish?: MqttPublish | null;
  /** Batches whose storage budget runs out soon or ran out (from the batches module). */
  listDueBatches?: (nowMs: number) => DueBatch[];
  /** Batch ids in a unit at a time, for each alert's `batchIds` (from the batches module). */
  batchesIn?: (unitId: string, atMs: number) => string[];
  /** When the milk in a unit at that time was put there, or null if none (from the batches module). */
  packedSince?: (unitId: string, atMs: number) => number | null;
  settings?: AlertSettingsInput;
  /** The zone alert words and email subjects give times in (COLDTRAIL_TIME_ZONE); default UTC. */
  timeZone?: string;
  /** Where webhooks may go. Default: public addresses only, as with COLDTRAIL_WEBHOOK_ALLOW_PRIVATE unset. */
  webhookPolicy?: WebhookTargetPolicy;
  /** The server's VAPID keys (push/vapid.ts); without them, no web push. */
  vapid?: VapidKeys | null;
  /**
   * Webhook, email and web push send from a worker thread (channels/thread.ts), not the main event
   * loop. Default true; false sends from the main thread (tests of the media themselves).
   */
  deliveryThread?: boolean;
  /** How often `start()` ticks the clock. Default 15 s: offline, escalation and reminders are minutes. */
  tickEveryMs?: number;
  /**
   * Checked first in the transaction of every change the engine or the clock makes (raise,
   * clear, reminder, escalation), e.g. a unit lease (ha/unit-leases.ts `check`): when it says no,
   * the change is not written. Called with the alert's unit when its subject is a unit, else null
   * (probe and batch alerts). Default none.
   */
  changeGuard?: (unitId: string | null) => ChangeGuard | undefined;
  /** This instance's name in outbox claims (COLDTRAIL_INSTANCE_ID); default a random one. */
  instanceId?: string;
}

const PUT_MONITOR = `INSERT INTO alert_monitor (unit_id, profile_key, state, saved_ms) VALUES (?, ?, ?, ?)
  ON CONFLICT (unit_id) DO UPDATE SET profile_key = excluded.profile_key, state = excluded.state, saved_ms = excluded.saved_ms`;

/**
 * The engine's saved unit monitors (table alert_monitor) on the SQL client. The engine reads them
 * synchronously, so they are read once at start (`preload`, before the engine is seeded) and kept
 * in memory; each tick's changed monitors are written in one transaction, one save after another
 * (so an older state never lands after a newer one).
 */
function monitorStore(sql: SqlClient) {
  let saved = new Map<string, { profileKey: string; state: UnitMonitorState }>();
  let saving: Promise<void> = Promise.resolve();
  const store = {
    async preload(): Promise<void> {
      const rows = await sql.query<{ unit_id: string; profile_key: string; state: string }>(
        "SELECT unit_id, profile_key, state FROM alert_monitor",
      );
      saved = new Map(
        rows.map((r) => [
          r.unit_id,
          { profileKey: r.profile_key, state: JSON.parse(r.state) as UnitMonitorState },
        ]),
      );
    },
    load: (unitId: string) => saved.get(unitId) ?? null,
    loadAll: () => [...saved].map(([unitId, m]) => ({ unitId, ...m })),
    saveAll(monitors: Parameters<MonitorStore["saveAll"]>[0], atMs: number): Promise<void> {
      const rows = monitors.map((m) => [m.unitId, m.profileKey, JSON.stringify(m.state), atMs] as const);
      const p = saving.then(() =>
        sql.transaction(async (tx) => {
          for (const r of rows) await tx.run(PUT_MONITOR, r);
        }),
      );
      // The next save waits for this one, whatever its outcome (the engine retries a failed one).
      saving = p.catch(() => undefined);
      return p;
    },
    /** Resolves once every save begun so far has committed or failed. */
    flushed: (): Promise<void> => saving,
  } satisfies MonitorStore & Record<string, unknown>;
  return store;
}

function registryLookups(deps: AlertingDeps): AlertLookups {
  const { units, probes } = deps;
  return {
    // From the registry's in-memory index: the rules read these per message.
    unit: (unitId) => units.byId(unitId),
    probe: (probeId) => probes.byId(probeId),
    calibrationOf: (probeId) => probes.calibrationOf(probeId),
    attachmentsOf: (probeId) => probes.attachmentsOfProbe(probeId),
    currentAttachments: () => probes.currentAttachments(),
    batchesIn: (unitId, atMs) => deps.batchesIn?.(unitId, atMs) ?? [],
    // Without the batches module every unit counts as packed since forever (cool bags too).
    packedSince: (unitId, atMs) => (deps.packedSince ? deps.packedSince(unitId, atMs) : 0),
    dueBatches: (nowMs) => deps.listDueBatches?.(nowMs) ?? [],
  };
}

/**
 * The unit whose guard a change goes through: the alert's subject when it is a unit, else none
 * (probe and batch alerts), the same for its raise, clear and notices.
 */
function guardUnit(key: AlertKey | null): string | null {
  return key?.subject.type === "unit" ? key.subject.unitId : null;
}

export function createAlerting(deps: AlertingDeps) {
  const r = resolveAlertSettings(deps.settings);
  if (!r.ok) throw new Error(r.reason);
  const settings = r.settings;
  const log = deps.log.child({ component: "alerts" });
  const publicUrl = (): string | null =>
    (typeof deps.publicUrl === "function" ? deps.publicUrl() : deps.publicUrl) || null;

  // The delivery thread's media get ready once a channel needs them, not at the first alert.
  let warmMediaFor = (_kind: ChannelKind): void => undefined;
  const channels = createChannelStore(deps.sql, deps.secretBox, (kind) => warmMediaFor(kind));
  const store = createAlertStore(deps.sql, { channels, settings, publicUrl });
  const hub = createAlertHub();
  const host = (() => {
    try {
      const url = publicUrl();
      return url ? new URL(url).hostname : "localhost";
    } catch {
      return "localhost";
    }
  })();
  const webhookPolicy = deps.webhookPolicy ?? PUBLIC_WEBHOOKS_ONLY;
  const media = createChannels({
    timeoutMs: settings.delivery.timeoutMs,
    webhookPolicy,
    smtpUrl: deps.smtpUrl ?? null,
    emailFrom: deps.emailFrom ?? `coldtrail <alerts@${host}>`,
    mqttPublish: deps.mqttPublish ?? null,
    activeOfUnit: async (unitId) => (await store.activeOfUnit(unitId)).map((a) => alertView(a, publicUrl())),
    now: deps.now,
    ...(deps.timeZone !== undefined && { timeZone: deps.timeZone }),
    vapid: deps.vapid ?? null,
    ...(deps.deliveryThread !== false && { thread: { log } }),
    onPushGone: (channelId) => {
      channels.remove(channelId, deps.now(), "the push service said the subscription is gone").then(
        (removed) => {
          if (removed) log.info({ channelId }, "push.subscription_removed");
        },
        (e: Error) => log.error({ channelId, err: e.message }, "push.subscription_remove_failed"),
      );
    },
  });
  warmMediaFor = (kind) => {
    if (media.threaded.has(kind)) media.warm();
  };
  // A donor hears her alerts at once; staff once an alert escalates past the donor (level 0).
  const staffLevel = settings.escalation.find((l) => l.level > 0)?.level ?? 0;
  const notifyPrefs = createNotifyPrefs(deps.sql, channels, {
    minEscalationOf: (role) => (role === "donor" ? 0 : staffLevel),
  });
  const outbox = createOutbox(deps.sql, {
    ...(deps.instanceId !== undefined && { instanceId: deps.instanceId }),
    media: media.channels,
    secretBox: deps.secretBox,
    log,
    now: deps.now,
    minBackoffMs: settings.delivery.minBackoffMs,
    maxBackoffMs: settings.delivery.maxBackoffMs,
    groupWindowMs: settings.delivery.groupWindowMs,
    groupMax: settings.delivery.groupMax,
    concurrency: settings.delivery.concurrency,
  });
  const monitors = monitorStore(deps.sql);
  const engine = createAlertEngine({
    settings,
    lookups: registryLookups(deps),
    monitors,
    now: deps.now,
    onProfileError: (unitId, reason) => log.warn({ unitId, reason }, "alerts.profile_fallback"),
    onMonitorSaveError: (monitors, reason) =>
      log.error({ monitors, err: reason }, "alerts.monitor_save_failed"),
    ...(deps.timeZone !== undefined && { timeZone: deps.timeZone }),
  });

  /** Changes that committed: to the live stream and the log; the outbox is poked unless `later`. */
  function committed(changes: readonly AlertChange[], later = false): void {
    let notify = false;
    for (const c of changes) {
      hub.publish(c.event);
      if (NOTIFYING_EVENTS.has(c.event.type)) notify = true;
      log.info(
        {
          alertId: c.alert.id,
          kind: c.alert.kind,
          event: c.event.type,
          unitId: c.alert.unitId,
          probeId: c.alert.probeId,
        },
        `alert.${c.event.type}`,
      );
    }
    if (notify && later) pokeOwed = true;
    else if (notify) outbox.poke();
  }
  /**
   * Outbox rows committed by the engine's changes: the outbox is poked once the changes decided
   * together have all committed (a burst's rows seen at once, so an email lane groups them), or
   * on the next turn of the event loop at the latest.
   */
  let pokeOwed = false;
  let pokeQueued = false;
  function pokeIfOwed(): void {
    if (!pokeOwed) return;
    pokeOwed = false;
    outbox.poke();
  }

  /**
   * Alert changes waiting to commit, chained per unit (per subject without a unit): the engine
   * decides in memory at once, and each unit's changes commit one after another, in the order
   * decided, without the reading path waiting for the database.
   */
  const chains = new Map<string, Promise<void>>();
  const pending = new Set<Promise<void>>();
  function persist(
    key: string,
    what: string,
    write: () => Promise<AlertChange[]>,
    onFailed: () => void = () => undefined,
  ): Promise<void> {
    const p: Promise<void> = (chains.get(key) ?? Promise.resolve())
      .then(async () => {
        let changes: AlertChange[];
        try {
          changes = await write();
        } catch (e) {
          onFailed();
          if (e instanceof ChangeRefusedError) {
            // Another instance writes this unit's alerts (ha/alert-leases.ts): expected, decided again later.
            log.debug({ reason: e.message, what }, "alerts.change_refused");
            return;
          }
          log.error({ err: (e as Error).message, stack: (e as Error).stack, what }, "alerts.hook_failed");
          return;
        }
        committed(changes, true);
        if (pokeOwed && !pokeQueued) {
          pokeQueued = true;
          setImmediate(() => {
            pokeQueued = false;
            pokeIfOwed();
          });
        }
      })
      .catch((e: Error) => log.error({ err: e.message, stack: e.stack, what }, "alerts.committed_failed"));
    chains.set(key, p);
    pending.add(p);
    void p.finally(() => {
      pending.delete(p);
      if (chains.get(key) === p) chains.delete(key);
      if (pending.size === 0) pokeIfOwed();
    });
    return p;
  }
  /** Resolves once every alert change decided so far has committed (or failed and been logged). */
  async function settled(): Promise<void> {
    while (pending.size > 0) await Promise.all([...pending]);
  }

  /**
   * The engine's newest intent per alert (kind and subject), whether it committed here or not: on
   * several instances a unit's intents commit only on its lease holder, and `reapply` writes them
   * again when this instance gains the unit (docs/high-availability.md item 4).
   */
  const latest = new Map<string, AlertIntent>();
  /** The newest raise per alert: a clear re-applied goes after the raise of the episode it ends. */
  const raises = new Map<string, Extract<AlertIntent, { op: "raise" }>>();

  /** Hooks run on ingest's path: a failure here is logged and must never stop ingest. */
  function guarded(what: string, fn: () => AlertIntent[]): void {
    let intents: AlertIntent[];
    try {
      intents = fn();
    } catch (e) {
      log.error({ err: (e as Error).message, stack: (e as Error).stack, what }, "alerts.hook_failed");
      return;
    }
    for (const i of intents) {
      latest.set(alertKeyText(i.key), i);
      if (i.op === "raise") raises.set(alertKeyText(i.key), i);
      // One that cannot commit is taken back from the engine's active set, so it is decided again.
      persist(
        i.subject,
        what,
        () => store.applyOne(i, deps.changeGuard?.(guardUnit(i.key))),
        () => engine.rollback([i]),
      );
    }
  }

  /**
   * This instance now writes the alerts of `unitId` (null: the alerts of no unit): applies the
   * engine's newest intent of each of them through the guarded store, a clear after the raise of
   * the episode it ends (a whole excursion may have been judged while no instance held the unit).
   * What the previous lease holder committed is a no-op there (a raise of an episode already
   * raised, a clear of what is not on); what it decided but did not commit before it died is
   * written now. Resolves once they committed (or failed and were logged).
   */
  async function reapply(unitId: string | null): Promise<void> {
    const done: Promise<void>[] = [];
    for (const [key, last] of latest) {
      if (guardUnit(last.key) !== unitId) continue;
      const raised = raises.get(key);
      const intents = last.op === "clear" && raised ? [raised, last] : [last];
      engine.reapplied(intents);
      for (const i of intents) {
        done.push(
          persist(
            i.subject,
            "reapply",
            () => store.applyOne(i, deps.changeGuard?.(unitId)),
            () => engine.rollback([i]),
          ),
        );
      }
    }
    await Promise.all(done);
  }

  let lastPruneMs = Number.NEGATIVE_INFINITY;
  let ticking: Promise<void> | null = null;
  /** Ticks the engine's clock; reminders, escalation and pruning follow. Resolves when they committed. */
  function tick(nowMs: number): Promise<void> {
    if (ticking) return ticking; // the one before is still writing: this one would repeat it
    guarded("tick", () => engine.tick(nowMs));
    ticking = Promise.all([notices(nowMs), monitors.flushed()])
      .then(() => undefined)
      .catch((e: Error) => log.error({ err: e.message, stack: e.stack }, "alerts.tick_failed"))
      .finally(() => {
        ticking = null;
      });
    return ticking;
  }
  async function notices(nowMs: number): Promise<void> {
    await settled();
    for (const a of await store.active()) {
      const n = dueNotice(a, settings, nowMs);
      if (n)
        persist(a.subject, "notice", () =>
          store.notice(a.id, n.type, n.level, nowMs, deps.changeGuard?.(guardUnit(alertKeyOf(a)))),
        );
    }
    if (nowMs - lastPruneMs >= 3_600_000) {
      // Outbox rows first: an event is kept while an outbox row still points at it. A backlog
      // (the first prune after an upgrade) goes a chunk per tick, not all in one stall.
      const pruned = await outbox.prune(nowMs - settings.outboxRetentionDays * 86_400_000, PRUNE_CHUNK);
      if (pruned < PRUNE_CHUNK) lastPruneMs = nowMs;
      await store.pruneEvents(nowMs - settings.eventRetentionDays * 86_400_000);
    }
    await settled();
  }

  /** Home Assistant discovery messages for a unit (with the probe attached now, if any). */
  function discoveryFor(unitId: string, discoveryPrefix?: string): DiscoveryMessage[] {
    const unit = deps.units.byId(unitId);
    if (!unit) throw notFound("unit", unitId);
    const nowMs = deps.now();
    const att = deps.probes.attachmentsOfUnit(unitId, nowMs, nowMs + 1).at(-1);
    const probe = att ? deps.probes.byId(att.probeId) : null;
    return homeAssistantDiscovery({
      unit,
      probe: probe ? { id: probe.id, calibrationOffsetC: probe.calibrationOffsetC } : null,
      publicUrl: publicUrl(),
      ...(discoveryPrefix !== undefined && { discoveryPrefix }),
    });
  }

  let timer: NodeJS.Timeout | null = null;
  let started = false;

  return {
    settings,
    store,
    channels,
    outbox,
    hub,
    /** What the alerts and channels route plugins (./routes.ts) take. */
    http: {
      alerts: {
        store,
        hub,
        history: (alertId) => auditEntriesFor(deps.sql, "alert", alertId),
        publicUrl,
        now: deps.now,
        committed,
      } satisfies AlertsDeps,
      channels: {
        channels,
        media: media.channels,
        webhookPolicy,
        units: deps.units,
        log: deps.log,
        now: deps.now,
      } satisfies ChannelsDeps,
      notify: {
        prefs: notifyPrefs,
        media: media.channels,
        vapidPublicKey: deps.vapid?.publicKey ?? null,
        webhookPolicy,
        log: deps.log,
        now: deps.now,
      } satisfies NotifyDeps,
    },
    /** Readings the store confirmed (the forwarder's onStored); journal entries carry receivedMs. */
    onStored(readings: readonly Reading[]): void {
      guarded("readings", () => engine.readings(readings as readonly StoredReading[]));
    },
    /** Ingest's live probe fields: last seen, battery, status. */
    onProbeLive(probeId: string, live: ProbeLive): void {
      guarded("probe-live", () => engine.probeLive(probeId, live));
    },
    /** Ingest refused a message (reason as counted in coldtrail_ingest_rejected_total). */
    onRejected(probeId: string | null, reason: string): void {
      guarded("rejected", () => engine.rejected(probeId, reason));
    },
    tick,
    reapply,
    settled,
    /** Open (unresolved) alerts of a unit, for `Context.openAlertsOf`. */
    openCountOf: (unitId: string): Promise<number> => store.openCountOf(unitId),
    /** A unit's unresolved alerts split into open (unacknowledged) and acknowledged. */
    alertCountsOf: (unitId: string): Promise<{ open: number; acknowledged: number }> =>
      store.countsOf(unitId),
    /** Silence longer than this makes a probe offline (the probe-offline alert's setting). */
    offlineAfterMs: settings.offlineAfterMin * 60_000,
    discoveryFor,
    /** Publishes the unit's discovery messages (and its current alert state) when MQTT is given. */
    async publishDiscovery(unitId: string, discoveryPrefix?: string): Promise<void> {
      const publish = deps.mqttPublish;
      if (!publish) return;
      for (const m of discoveryFor(unitId, discoveryPrefix))
        await publish(m.topic, m.payload, { qos: 1, retain: true });
    },
    /** Seeds the engine with the unresolved alerts, then starts the outbox and the clock. */
    async start(): Promise<void> {
      if (started) return;
      started = true;
      await monitors.preload();
      engine.seed(await store.active());
      outbox.start();
      void Promise.all([...media.threaded].map((k) => channels.hasAny(k))).then(
        (any) => {
          if (started && any.some(Boolean)) media.warm();
        },
        (e: Error) => log.error({ err: e.message }, "alerts.warm_check_failed"),
      );
      const every = deps.tickEveryMs ?? 15_000;
      if (every > 0) {
        timer = setInterval(() => tick(deps.now()), every);
        timer.unref();
      }
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await ticking;
      await settled();
      await monitors.flushed();
      hub.closeAll();
      await outbox.stop();
      await media.close();
      started = false;
    },
  };
}
export type Alerting = ReturnType<typeof createAlerting>;
