/**
 * `coldtrail-bridge gateway --config gateway.json [--source noble|replay:<file>]`: runs the BLE-to-MQTT
 * gateway until SIGINT/SIGTERM; with a replay source, until the file is replayed and every reading was
 * acknowledged. Exit codes: 0 done, 2 usage or configuration error, 1 a failure while running.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { AdvertSource } from "./advert-source.js";
import { startGateway } from "./gateway.js";
import { type GatewayConfig, parseGatewayConfig } from "./gateway-config.js";
import { createJsonLog, type GatewayLog, isLogLevel } from "./gateway-log.js";
import { createNobleSource, NobleMissingError } from "./noble-source.js";
import { createReplaySource } from "./replay-source.js";

export const GATEWAY_USAGE = `Usage:
  coldtrail-bridge gateway --config gateway.json [--source noble|replay:<file>] [options]

  --config <file>     {"broker":"mqtt://host:1883","spoolDir":"./spool","windowS":60,
                       "probes":[{"mac":"A4:C1:38:…","probeId":"…","secret":"…","format"?:"pvvx","bindkey"?:"…"}]}
                      or just the "probes" list, with --broker
  --source <s>        noble (default; the host's Bluetooth adapter, needs the optional @abandonware/noble)
                      or replay:<file> (JSON lines of advertisements; see firmware-bridge/src/gateway/README.md)
  --broker <url>      overrides "broker"
  --spool-dir <dir>   overrides "spoolDir" (readings wait here, on disk, while the broker is unreachable)
  --window-s <s>      overrides "windowS": one reading per probe per window (default 60)
  --speed <x>         replay only: 0 = as fast as possible (default), 1 = real time, 60 = a minute a second
  --log-level <l>     debug, info (default), warn, error, silent; JSON lines on stderr`;

const OPTIONS = {
  config: { type: "string" },
  source: { type: "string" },
  broker: { type: "string" },
  "spool-dir": { type: "string" },
  "window-s": { type: "string" },
  speed: { type: "string" },
  "log-level": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export interface GatewayCommandIo {
  out(line: string): void;
  err(line: string): void;
  /** Resolves when the process is asked to stop; default: SIGINT or SIGTERM. */
  stopSignal?: Promise<void>;
}

const defaultIo: GatewayCommandIo = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
};

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}

function numberFlag(
  name: string,
  v: string | undefined,
  min: number,
  max: number,
): number | undefined | string {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    return `--${name} must be a number ${min}-${max}, got "${v}"`;
  return n;
}

async function openSource(spec: string, speed: number, log: GatewayLog): Promise<AdvertSource> {
  if (spec === "noble") return createNobleSource();
  const file = spec.slice("replay:".length);
  return createReplaySource(file, {
    speed,
    onBadLine: (lineNo, reason) => log.warn({ file, lineNo, reason }, "gateway.replay_bad_line"),
  });
}

export async function gatewayCommand(
  args: readonly string[],
  io: GatewayCommandIo = defaultIo,
): Promise<number> {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>["values"];
  try {
    values = parseArgs({ args: [...args], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    io.err(`coldtrail-bridge gateway: ${(e as Error).message}; see --help`);
    return 2;
  }
  if (values.help) {
    io.out(GATEWAY_USAGE);
    return 0;
  }
  if (values.config === undefined) {
    io.err(
      "coldtrail-bridge gateway: --config <file> is required (the probes this gateway serves); see --help",
    );
    return 2;
  }
  const source = values.source ?? "noble";
  if (source !== "noble" && !(source.startsWith("replay:") && source.length > "replay:".length)) {
    io.err(`coldtrail-bridge gateway: --source must be noble or replay:<file>, got "${source}"`);
    return 2;
  }
  const level = values["log-level"] ?? "info";
  if (!isLogLevel(level)) {
    io.err(
      `coldtrail-bridge gateway: --log-level must be debug, info, warn, error or silent, got "${level}"`,
    );
    return 2;
  }
  const windowS = numberFlag("window-s", values["window-s"], 1, 3600);
  const speed = numberFlag("speed", values.speed, 0, 1_000_000);
  for (const v of [windowS, speed]) {
    if (typeof v === "string") {
      io.err(`coldtrail-bridge gateway: ${v}`);
      return 2;
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(values.config, "utf8"));
  } catch (e) {
    io.err(`coldtrail-bridge gateway: cannot read --config ${values.config}: ${(e as Error).message}`);
    return 2;
  }
  const parsed = parseGatewayConfig(raw, {
    ...(values.broker !== undefined && { broker: values.broker }),
    ...(values["spool-dir"] !== undefined && { spoolDir: values["spool-dir"] }),
    ...(typeof windowS === "number" && { windowS }),
  });
  if (!parsed.ok) {
    io.err(`coldtrail-bridge gateway: ${parsed.reason}`);
    return 2;
  }
  const config: GatewayConfig = parsed.config;
  const log = createJsonLog(level);
  let src: AdvertSource;
  try {
    src = await openSource(source, typeof speed === "number" ? speed : 0, log);
  } catch (e) {
    io.err(`coldtrail-bridge gateway: ${(e as Error).message}`);
    return e instanceof NobleMissingError ? 2 : 1;
  }
  const gateway = startGateway({ config, source: src, log });
  const stop = io.stopSignal ?? signalled();
  if (source === "noble") {
    await stop;
  } else {
    // A replay is done when the file is read and every reading was acknowledged (or when stopped).
    let stopped = false;
    const finished = (async () => {
      await gateway.sourceDone;
      // Until the broker has acknowledged everything; the readings are safe in the spool meanwhile.
      while (!stopped && !(await gateway.drained(1000))) {}
    })();
    await Promise.race([finished, stop]);
    stopped = true;
  }
  await gateway.close();
  io.out(JSON.stringify({ stats: gateway.stats }));
  return 0;
}
