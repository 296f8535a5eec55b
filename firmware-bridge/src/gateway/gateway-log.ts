/**
 * The gateway logs through this small interface (pino's shape), so the server can pass its pino
 * logger and the CLI needs no logging package: one JSON line per event on stderr.
 */
export interface GatewayLog {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

const LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type GatewayLogLevel = (typeof LEVELS)[number];

export function isLogLevel(v: string): v is GatewayLogLevel {
  return (LEVELS as readonly string[]).includes(v);
}

/** One JSON line per event; `secret`/`password` fields are never written (callers should not pass them anyway). */
export function createJsonLog(
  level: GatewayLogLevel,
  write: (line: string) => void = (l) => process.stderr.write(l),
): GatewayLog {
  const min = LEVELS.indexOf(level);
  const at = (lvl: Exclude<GatewayLogLevel, "silent">) => (fields: object, msg: string) => {
    if (LEVELS.indexOf(lvl) < min) return;
    const { secret: _s, password: _p, ...safe } = fields as Record<string, unknown>;
    write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...safe })}\n`);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export const silentLog: GatewayLog = { debug() {}, info() {}, warn() {}, error() {} };
