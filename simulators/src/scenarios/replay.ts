import type { MqttClient } from "mqtt";
import type { DeviceMessage } from "../devices/probe-device.js";
import { closeProbe, connectProbe, waitConnected } from "../mqtt/probe-connection.js";

/**
 * Publishes a simulated scenario's messages as fast as the broker acknowledges them: one connection
 * per probe (MQTT keeps order within a connection), up to `windowPerProbe` unacknowledged at a time.
 */
export interface ReplayOptions {
  url: string;
  /** MQTT username/password for a probe; undefined for a broker without auth. */
  credentials: (probeId: string) => { username?: string; password?: string } | undefined;
  windowPerProbe?: number;
  fw?: string;
  onProgress?: (done: number, total: number) => void;
}

export type ReplayResult =
  | { ok: true; sent: number; acked: number; errors: number; elapsedMs: number }
  | { ok: false; reason: string };

export async function replayMessages(
  messages: readonly DeviceMessage[],
  o: ReplayOptions,
): Promise<ReplayResult> {
  const byProbe = new Map<string, DeviceMessage[]>();
  for (const m of messages) {
    const list = byProbe.get(m.probeId) ?? [];
    list.push(m);
    byProbe.set(m.probeId, list);
  }
  const clients = new Map<string, MqttClient>();
  for (const id of byProbe.keys()) {
    const creds = o.credentials(id) ?? {};
    clients.set(id, connectProbe({ url: o.url, probeId: id, ...creds, fw: o.fw ?? "sim-replay-0.1.0" }));
  }
  const closeAll = () => Promise.all([...clients].map(([id, c]) => closeProbe(c, id)));
  for (const [id, c] of clients) {
    const r = await waitConnected(c, 15_000);
    if (!r.ok) {
      await closeAll();
      return { ok: false, reason: `probe ${id}: ${r.reason}` };
    }
  }

  const started = Date.now();
  let acked = 0;
  let errors = 0;
  let sent = 0;
  const window = o.windowPerProbe ?? 100;
  await Promise.all(
    [...byProbe].map(async ([id, list]) => {
      const client = clients.get(id)!;
      let inFlight = 0;
      let wake: (() => void) | null = null;
      for (const m of list) {
        while (inFlight >= window) await new Promise<void>((r) => (wake = r));
        inFlight++;
        sent++;
        client.publish(m.topic, JSON.stringify(m.payload), { qos: 1 }, (err) => {
          if (err) errors++;
          else acked++;
          inFlight--;
          o.onProgress?.(acked + errors, messages.length);
          const w = wake;
          wake = null;
          w?.();
        });
      }
      while (inFlight > 0) await new Promise<void>((r) => (wake = r));
    }),
  );
  await closeAll();
  return { ok: true, sent, acked, errors, elapsedMs: Date.now() - started };
}

/** Renames probes (scenario id → id the server issued), topics included. */
export function renameProbes(
  messages: readonly DeviceMessage[],
  ids: ReadonlyMap<string, string>,
): DeviceMessage[] {
  return messages.map((m) => {
    const id = ids.get(m.probeId);
    return id ? { ...m, probeId: id, topic: m.topic.replace(`/probes/${m.probeId}/`, `/probes/${id}/`) } : m;
  });
}
