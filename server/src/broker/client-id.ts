import { CLIENT_ID_SEPARATOR, MAX_CLIENT_ID_CHARS } from "./limits.js";

/**
 * Whether a client id belongs to a probe: it is the probe id itself (`freezer-1`), or the probe
 * id, `:` and a suffix (`freezer-1:gw`). `:` is not a probe id character, so no probe's client ids
 * can be another's, and no probe can take over (or resume the session of) another's connection.
 */
export function clientIdBelongsTo(clientId: string, probeId: string): boolean {
  return clientId === probeId || clientId.startsWith(`${probeId}${CLIENT_ID_SEPARATOR}`);
}

/** A client id as logged and stored: at most MAX_CLIENT_ID_CHARS characters, marked when cut. */
export function clientIdForRecord(clientId: string): string;
export function clientIdForRecord(clientId: string | null): string | null;
export function clientIdForRecord(clientId: string | null): string | null {
  if (clientId === null || clientId.length <= MAX_CLIENT_ID_CHARS) return clientId;
  return `${clientId.slice(0, MAX_CLIENT_ID_CHARS)}…(${clientId.length} chars)`;
}
