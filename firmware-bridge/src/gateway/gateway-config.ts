/**
 * The gateway's configuration file. Either the full object
 *   {"broker":"mqtt://coldtrail.local:1883","spoolDir":"./spool","windowS":60,"probes":[…]}
 * or just the probe list `[{mac, probeId, secret, format?, bindkey?}]` with `--broker` on the command
 * line. Validated once at start; every message names the entry and the value seen.
 */
import { z } from "zod";
import { bytesToMac, type FormatId, macToBytes } from "../decoders/advert.js";
import { FORMAT_IDS } from "../decoders/registry.js";
import { PROBE_ID_PATTERN } from "../protocol/topics.js";

export interface GatewayProbe {
  /** Normalised `AA:BB:CC:DD:EE:FF`. */
  mac: string;
  probeId: string;
  secret: string;
  /** Decode only with this format (recommended: it also rules out a look-alike of another format). */
  format?: FormatId;
  /** BTHome bindkey, 32 hex digits: plaintext from this device is then refused. */
  bindkey?: string;
}

export interface GatewayConfig {
  broker: string;
  spoolDir: string;
  /** One reading per probe per window (see `reading-window.ts` for why 60 s). */
  windowMs: number;
  /** Pending readings kept on disk per probe while the broker is unreachable. */
  maxSpooledPerProbe: number;
  probes: GatewayProbe[];
}

const probeSchema = z.strictObject({
  mac: z.string().refine((m) => macToBytes(m) !== undefined, "mac must look like AA:BB:CC:DD:EE:FF"),
  probeId: z
    .string()
    .regex(PROBE_ID_PATTERN, "probeId must be 3-64 characters of [A-Za-z0-9_-], as registered"),
  secret: z.string().min(1, "secret is the probe's MQTT password from POST /api/v1/probes"),
  format: z
    .string()
    .refine(
      (f) => (FORMAT_IDS as readonly string[]).includes(f),
      `format must be one of ${FORMAT_IDS.join(", ")}`,
    )
    .optional(),
  bindkey: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, "bindkey must be 32 hex digits")
    .optional(),
});

const brokerSchema = z.string().refine((v) => {
  try {
    return ["mqtt:", "mqtts:", "ws:", "wss:", "tcp:"].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}, "broker must be a URL like mqtt://coldtrail.local:1883 (mqtt:, mqtts:, ws: or wss:)");

const listSchema = z.array(probeSchema);
const objectSchema = z.strictObject({
  broker: brokerSchema.optional(),
  spoolDir: z.string().min(1).optional(),
  windowS: z.number().min(1).max(3600).optional(),
  maxSpooledPerProbe: z.number().int().min(1).max(10_000_000).optional(),
  probes: listSchema,
});

export interface ConfigOverrides {
  broker?: string;
  spoolDir?: string;
  windowS?: number;
}

/**
 * Defaults: 60 s windows (the server's expected interval for a probe, `probe.expected_interval_ms`),
 * and 129 600 spooled readings per probe = 90 days of one a minute (about 10 MB of JSON lines), so a
 * gateway cut off for a whole season loses nothing.
 */
export const GATEWAY_DEFAULTS = { windowS: 60, spoolDir: "./spool", maxSpooledPerProbe: 129_600 } as const;

export type ConfigResult = { ok: true; config: GatewayConfig } | { ok: false; reason: string };

export function parseGatewayConfig(value: unknown, overrides: ConfigOverrides = {}): ConfigResult {
  // The shape decides the schema, so errors speak of the file the user wrote.
  const r = Array.isArray(value) ? listSchema.safeParse(value) : objectSchema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.length ? i.path.join(".") : "config"}: ${i.message}`);
    return { ok: false, reason: `gateway config: ${first.join("; ")}` };
  }
  const file: z.infer<typeof objectSchema> = Array.isArray(r.data) ? { probes: r.data } : r.data;
  const broker = overrides.broker ?? file.broker;
  if (broker === undefined) {
    return {
      ok: false,
      reason: 'gateway config: no broker: set "broker" in the file or pass --broker mqtt://host:1883',
    };
  }
  const b = brokerSchema.safeParse(broker);
  if (!b.success)
    return { ok: false, reason: `gateway config: ${b.error.issues[0]?.message}, got "${broker}"` };
  const windowS = overrides.windowS ?? file.windowS ?? GATEWAY_DEFAULTS.windowS;
  if (!(windowS >= 1 && windowS <= 3600)) {
    return { ok: false, reason: `gateway config: windowS must be 1-3600 seconds, got ${windowS}` };
  }
  const probes: GatewayProbe[] = [];
  const macs = new Map<string, number>();
  const ids = new Map<string, number>();
  for (const [i, p] of file.probes.entries()) {
    const mac = bytesToMac(macToBytes(p.mac) as Uint8Array);
    const dupMac = macs.get(mac);
    if (dupMac !== undefined)
      return { ok: false, reason: `gateway config: probes.${i}.mac ${mac} is also probes.${dupMac}.mac` };
    const dupId = ids.get(p.probeId);
    if (dupId !== undefined) {
      return {
        ok: false,
        reason: `gateway config: probes.${i}.probeId "${p.probeId}" is also probes.${dupId}.probeId`,
      };
    }
    if (p.bindkey !== undefined && p.format !== undefined && p.format !== "bthome-v2") {
      return {
        ok: false,
        reason: `gateway config: probes.${i}.bindkey is set but format "${p.format}" is never encrypted (only bthome-v2 is)`,
      };
    }
    macs.set(mac, i);
    ids.set(p.probeId, i);
    probes.push({
      mac,
      probeId: p.probeId,
      secret: p.secret,
      ...(p.format !== undefined && { format: p.format as FormatId }),
      ...(p.bindkey !== undefined && { bindkey: p.bindkey.toLowerCase() }),
    });
  }
  if (probes.length === 0)
    return { ok: false, reason: "gateway config: probes is empty: list at least one {mac, probeId, secret}" };
  return {
    ok: true,
    config: {
      broker,
      spoolDir: overrides.spoolDir ?? file.spoolDir ?? GATEWAY_DEFAULTS.spoolDir,
      windowMs: Math.round(windowS * 1000),
      maxSpooledPerProbe: file.maxSpooledPerProbe ?? GATEWAY_DEFAULTS.maxSpooledPerProbe,
      probes,
    },
  };
}
