import { alertTopic } from "@coldtrail/firmware-bridge/protocol";
import type { Aedes } from "aedes";
import type { MqttClient } from "mqtt";
import type { AlertView } from "../view.js";
import type { AlertChannel, TargetCheck } from "./types.js";

/** Publishes one MQTT message; the lead passes the embedded broker's or the external client's. */
export type MqttPublish = (
  topic: string,
  payload: string,
  opts: { qos: 0 | 1; retain: boolean },
) => Promise<void>;

/** Publishing through the embedded aedes broker (no network hop, no credentials). */
export function publishViaAedes(aedes: Aedes): MqttPublish {
  return (topic, payload, opts) =>
    new Promise<void>((resolve, reject) =>
      aedes.publish(
        {
          cmd: "publish",
          topic,
          payload: Buffer.from(payload),
          qos: opts.qos,
          retain: opts.retain,
          dup: false,
        },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
}

/** Publishing through the server's connection to an external broker. */
export function publishViaMqttClient(client: MqttClient): MqttPublish {
  return async (topic, payload, opts) => {
    await client.publishAsync(topic, payload, { qos: opts.qos, retain: opts.retain });
  };
}

/** The mqtt channel publishes on the protocol's own topic; its target is left empty or "retained". */
export const checkMqttTarget: TargetCheck = (target) =>
  target === "" || target === "retained"
    ? null
    : `target of an mqtt channel must be empty (alerts go to coldtrail/v1/alerts/{unitId}), got "${target.slice(0, 120)}"`;

/** The retained state of a unit's alerts: what a dashboard or Home Assistant shows right now. */
export function unitAlertState(unitId: string, active: readonly AlertView[], nowMs: number) {
  return {
    unitId,
    problem: active.length > 0,
    count: active.length,
    alerts: active.map((a) => ({
      id: a.id,
      kind: a.kind,
      severity: a.severity,
      state: a.state,
      title: a.title,
      openedAt: a.openedAt,
    })),
    updatedAt: new Date(nowMs).toISOString(),
  };
}

/**
 * MQTT: on every change of a unit's alerts, the unit's current alert state is published retained
 * on `coldtrail/v1/alerts/{unitId}` (QoS 1), so a subscriber that connects later still gets it.
 * It publishes the state at send time, not the event's snapshot: a retained topic holds "now".
 */
export function createMqttChannel(opts: {
  publish: MqttPublish;
  activeOfUnit(unitId: string): Promise<AlertView[]>;
  now(): number;
}): AlertChannel {
  return {
    kind: "mqtt",
    async send(alert) {
      if (!alert.unitId) return { ok: true }; // nothing to show per unit
      try {
        const state = unitAlertState(alert.unitId, await opts.activeOfUnit(alert.unitId), opts.now());
        await opts.publish(alertTopic(alert.unitId), JSON.stringify(state), { qos: 1, retain: true });
        return { ok: true };
      } catch (e) {
        return { ok: false, reason: `MQTT publish failed: ${(e as Error).message}`.slice(0, 300) };
      }
    },
  };
}
