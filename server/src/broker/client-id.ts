import { CLIENT_ID_SEPARATOR, MAX_CLIENT_ID_CHARS } from "./limits.js";

/**
 * The probe a client id is named for: `freezer-1` and `freezer-1:gw` are freezer-1's (`:` is not a
 * probe id character, so no probe's names can be another's). Any other id (`mosqpub|1234`, an
 * mqtt.js default) is named for nobody.
 */
export function probeNamedBy(clientId: string): string {
  const at = clientId.indexOf(CLIENT_ID_SEPARATOR);
  return at < 0 ? clientId : clientId.slice(0, at);
}

/**
 * Client ids are bound to the probe that uses them, so no probe can take over another's connection
 * or resume its persistent session (and queued messages). A probe may use its own names and any id
 * no other probe is using or holds a session under; a client that sends no id of its own (such as
 * `mosquitto_pub` with its generated one) keeps working.
 */
export function createClientIdOwners(isProbe: (id: string) => boolean) {
  const owners = new Map<string, string>();
  return {
    /** Why `probeId` may not use `clientId`, or null when it may. */
    refusal(clientId: string, probeId: string): string | null {
      const named = probeNamedBy(clientId);
      if (named !== probeId && isProbe(named))
        return `client id "${clientIdForRecord(clientId)}" is probe "${named}"'s; use "${probeId}" or "${probeId}${CLIENT_ID_SEPARATOR}…"`;
      const owner = owners.get(clientId);
      if (owner !== undefined && owner !== probeId)
        return `client id "${clientIdForRecord(clientId)}" is in use by another probe; use "${probeId}" or "${probeId}${CLIENT_ID_SEPARATOR}…"`;
      return null;
    },
    /** `probeId` connected as `clientId`; a clean session's id is free again once it disconnects. */
    claim(clientId: string, probeId: string): void {
      owners.set(clientId, probeId);
    },
    release(clientId: string, probeId: string): void {
      if (owners.get(clientId) === probeId) owners.delete(clientId);
    },
  };
}

/** A client id as logged and stored: at most MAX_CLIENT_ID_CHARS characters, marked when cut. */
export function clientIdForRecord(clientId: string): string;
export function clientIdForRecord(clientId: string | null): string | null;
export function clientIdForRecord(clientId: string | null): string | null {
  if (clientId === null || clientId.length <= MAX_CLIENT_ID_CHARS) return clientId;
  return `${clientId.slice(0, MAX_CLIENT_ID_CHARS)}…(${clientId.length} chars)`;
}
