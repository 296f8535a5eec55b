import { performance } from "node:perf_hooks";
import { readingsTopic } from "@coldtrail/firmware-bridge/protocol";
import mqtt, { type MqttClient } from "mqtt";
import { createRng } from "../prng.js";

/**
 * Load generation: many probes publishing readings at a target total rate over a few
 * connections, measuring PUBACK latency (QoS 1). With `credentials`, each probe gets its own
 * connection (a probe may only publish under its own id, DESIGN.md); otherwise `connections`
 * shared connections carry all probes' topics (a broker without auth, or one shared user).
 */
export interface LoadOptions {
  url: string;
  probes: number;
  ratePerS: number;
  durationS: number;
  connections?: number;
  username?: string;
  password?: string;
  /** probe id → secret; the probes used are the first `probes` of these. */
  credentials?: ReadonlyMap<string, string>;
  probeIdPrefix?: string;
  /** Stop sending while this many publishes await their PUBACK (default 20 000). */
  maxInFlight?: number;
  /** How long to wait for outstanding PUBACKs after the last publish (default 10 s). */
  drainTimeoutMs?: number;
  seed?: number;
  /** Every connection was acknowledged (after `connectMs`); sending starts now. */
  onConnected?: (c: { connections: number; connectMs: number }) => void;
  onProgress?: (p: LoadProgress) => void;
  progressMs?: number;
  signal?: AbortSignal;
}

export interface LoadProgress {
  elapsedS: number;
  sent: number;
  acked: number;
  errors: number;
  inFlight: number;
}

export interface LoadResult {
  sent: number;
  acked: number;
  errors: number;
  /** Acknowledged readings per second over the sending period. */
  ratePerS: number;
  latencyMs: { p50: number; p99: number };
  /** Publishes still unacknowledged at the end (counted in `errors` as well). */
  unacked: number;
  elapsedS: number;
  connections: number;
}

/** Connections opened at once, and how long each may take to be acknowledged. */
const CONNECT_WAVE = 500;
const CONNECT_TIMEOUT_MS = 30_000;

export class LoadError extends Error {
  readonly code = "CT_ERR_SIM_LOAD";
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  if (!(o.probes >= 1)) throw new LoadError(`probes must be ≥ 1, got ${o.probes}`);
  if (!(o.ratePerS > 0)) throw new LoadError(`rate must be > 0 readings/s, got ${o.ratePerS}`);
  if (!(o.durationS > 0)) throw new LoadError(`duration must be > 0 s, got ${o.durationS}`);

  const prefix = o.probeIdPrefix ?? "load";
  const ids = o.credentials
    ? [...o.credentials.keys()].slice(0, o.probes)
    : Array.from({ length: o.probes }, (_, i) => `${prefix}-${String(i).padStart(5, "0")}`);
  if (ids.length === 0) throw new LoadError("the credentials hold no probes");
  const nConn = o.credentials ? ids.length : Math.max(1, Math.min(o.connections ?? 10, ids.length));

  // Connect in waves: ten thousand simultaneous TLS-less CONNECTs still make a 2-core broker miss
  // connect timeouts, and real fleets come back from a power cut spread over seconds anyway.
  const clients: MqttClient[] = [];
  const connectOne = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const user = o.credentials ? ids[i]! : o.username;
      const pass = o.credentials ? o.credentials.get(ids[i]!)! : o.password;
      const c = mqtt.connect(o.url, {
        clientId:
          user === undefined ? `coldtrail-load-${process.pid}-${i}` : `${user}:load-${process.pid}-${i}`,
        clean: true,
        reconnectPeriod: 1000,
        connectTimeout: CONNECT_TIMEOUT_MS,
        ...(user !== undefined && { username: user }),
        ...(pass !== undefined && { password: pass }),
      });
      clients.push(c);
      const t = setTimeout(
        () => reject(new LoadError(`no CONNACK from ${o.url} within ${CONNECT_TIMEOUT_MS / 1000} s`)),
        CONNECT_TIMEOUT_MS,
      );
      c.once("connect", () => {
        clearTimeout(t);
        resolve();
      });
      c.once("error", (e) => {
        clearTimeout(t);
        reject(new LoadError(`cannot connect to ${o.url}: ${e.message}`));
      });
    });
  let connectErrors = 0;
  const connectStartMs = performance.now();
  try {
    for (let i = 0; i < nConn; i += CONNECT_WAVE) {
      const wave = [];
      for (let k = i; k < Math.min(nConn, i + CONNECT_WAVE); k++) wave.push(connectOne(k));
      await Promise.all(wave);
    }
  } catch (e) {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    throw e;
  }
  for (const c of clients) c.on("error", () => connectErrors++);
  o.onConnected?.({ connections: nConn, connectMs: performance.now() - connectStartMs });

  const rng = createRng(o.seed ?? 1);
  const lastTs = new Array<number>(ids.length).fill(0);
  const seq = new Array<number>(ids.length).fill(0);
  const latencies: number[] = [];
  const maxInFlight = o.maxInFlight ?? 20_000;
  let sent = 0;
  let acked = 0;
  let errors = 0;
  let next = 0;

  const publishOne = () => {
    const p = next;
    next = (next + 1) % ids.length;
    const client = clients[o.credentials ? p : p % nConn]!;
    // Readings are idempotent on (probeId, ts): keep each probe's ts strictly increasing.
    const ts = Math.max(Date.now(), lastTs[p]! + 1);
    lastTs[p] = ts;
    const payload = JSON.stringify({
      readings: [{ ts, temp_c: Math.round((-19 + rng.normal() * 0.3) * 16) / 16, seq: seq[p]! }],
    });
    seq[p] = seq[p]! + 1;
    const t0 = performance.now();
    sent++;
    client.publish(readingsTopic(ids[p]!), payload, { qos: 1 }, (err) => {
      if (err) errors++;
      else {
        acked++;
        latencies.push(performance.now() - t0);
      }
    });
  };

  const startedMs = performance.now();
  const endMs = startedMs + o.durationS * 1000;
  const progress = setInterval(() => {
    o.onProgress?.({
      elapsedS: (performance.now() - startedMs) / 1000,
      sent,
      acked,
      errors,
      inFlight: sent - acked - errors,
    });
  }, o.progressMs ?? 1000);

  await new Promise<void>((resolve) => {
    const tick = () => {
      const nowMs = performance.now();
      if (nowMs >= endMs || o.signal?.aborted) return resolve();
      const due = Math.floor(((nowMs - startedMs) / 1000) * o.ratePerS);
      // Back-pressure: the broker sets the pace once too many PUBACKs are outstanding.
      while (sent < due && sent - acked - errors < maxInFlight) publishOne();
      setTimeout(tick, 2);
    };
    tick();
  });
  const sendingS = (performance.now() - startedMs) / 1000;

  const drainUntil = performance.now() + (o.drainTimeoutMs ?? 10_000);
  while (acked + errors < sent && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
  clearInterval(progress);
  const unacked = sent - acked - errors;
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));

  latencies.sort((a, b) => a - b);
  const pct = (q: number) =>
    latencies.length
      ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!
      : Number.NaN;
  return {
    sent,
    acked,
    errors: errors + unacked + connectErrors,
    ratePerS: acked / sendingS,
    latencyMs: { p50: round2(pct(0.5)), p99: round2(pct(0.99)) },
    unacked,
    elapsedS: round2(sendingS),
    connections: nConn,
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;
