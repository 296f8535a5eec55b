import { randomBytes } from "node:crypto";
import { isProbeId, TOPIC_ROOT } from "@coldtrail/firmware-bridge/protocol";
import mqtt, { type MqttClient } from "mqtt";
import type { Logger } from "../logger.js";

/**
 * Probe credentials in an external Mosquitto, through its dynamic security plugin ("dynsec",
 * Mosquitto ≥ 2.0). The server connects as a dynsec admin and publishes JSON commands on
 * `$CONTROL/dynamic-security/v1`; the plugin answers on `…/v1/response` (command names and fields:
 * mosquitto `plugins/dynamic-security/README.md`).
 *
 * Each probe becomes a dynsec client (username = probe id, password = its secret) with a role of
 * its own that allows publishing and subscribing under `coldtrail/v1/probes/{id}/` only. One
 * role per probe, because dynsec in Mosquitto 2.0 does not substitute `%u`/`%c` in ACL topics
 * (eclipse/mosquitto#2222; added in 2.1, #3191): a shared role cannot say "its own id".
 *
 * Commands go one per message and one at a time. Mosquitto 2.0.11 (Debian 12) left a dangling
 * role pointer when a role given through `createClient`'s `roles` field was deleted, and a later
 * `getClient` in the same message crashed the broker (measured here); roles are therefore
 * attached with `addClientRole` only, and probe clients are deleted before their roles.
 */
export const DYNSEC_TOPIC = "$CONTROL/dynamic-security/v1";
export const DYNSEC_RESPONSE_TOPIC = `${DYNSEC_TOPIC}/response`;
/** The role of coldtrail's own ingest client (`COLDTRAIL_MQTT_USERNAME`). */
export const SERVER_ROLE = "coldtrail-server";
export const probeRoleName = (probeId: string): string => `coldtrail-probe-${probeId}`;

export type DynsecAclType =
  | "publishClientSend"
  | "publishClientReceive"
  | "subscribeLiteral"
  | "subscribePattern"
  | "unsubscribeLiteral"
  | "unsubscribePattern";

export interface DynsecAcl {
  acltype: DynsecAclType;
  topic: string;
  allow: boolean;
  priority?: number;
}

export interface DynsecCommand {
  command: string;
  [field: string]: unknown;
}

export interface DynsecResponse {
  command: string;
  error?: string;
  data?: unknown;
  correlationData?: string;
}

export type ProvisionFailure = "bad_probe_id" | "not_connected" | "timeout" | "refused";
export type ProvisionResult = { ok: true } | { ok: false; reason: ProvisionFailure; message: string };
export type ListResult =
  | { ok: true; usernames: string[] }
  | { ok: false; reason: ProvisionFailure; message: string };

/** What a probe may do: everything under its own prefix, nothing elsewhere (DESIGN.md, "Wire protocol"). */
export function probeRoleAcls(probeId: string): DynsecAcl[] {
  const own = `${TOPIC_ROOT}/probes/${probeId}/#`;
  return [
    { acltype: "publishClientSend", topic: own, allow: true },
    // subscribePattern: the requested filter must lie within `own`, so `…/probes/+/…` is refused.
    { acltype: "subscribePattern", topic: own, allow: true },
    { acltype: "publishClientReceive", topic: own, allow: true },
  ];
}

/**
 * What coldtrail's ingest client may do: read every probe's topics (its subscriptions are
 * `PROBE_TOPIC_FILTERS`, plain or as `$share/<group>/…`), keep its presence under
 * `coldtrail/v1/instances/` (adoption of a dead instance's sessions) and publish alerts (`alerts/channels/mqtt.ts`) and Home Assistant
 * discovery (`alerts/home-assistant.ts`, default prefix `homeassistant`).
 */
export function serverRoleAcls(): DynsecAcl[] {
  const probes = `${TOPIC_ROOT}/probes/#`;
  const instances = `${TOPIC_ROOT}/instances/#`;
  return [
    { acltype: "subscribePattern", topic: probes, allow: true },
    // The same filters as an MQTT 5 shared subscription of any group (broker/external.ts).
    { acltype: "subscribePattern", topic: `$share/+/${probes}`, allow: true },
    { acltype: "publishClientReceive", topic: probes, allow: true },
    { acltype: "publishClientSend", topic: `${TOPIC_ROOT}/alerts/#`, allow: true },
    { acltype: "publishClientSend", topic: "homeassistant/#", allow: true },
    // Instance presence and session adoption with a share group (instance-watch.ts): retained
    // presence of each instance, and the drain marker an adopter sends through a dead one's session.
    { acltype: "publishClientSend", topic: instances, allow: true },
    { acltype: "publishClientReceive", topic: instances, allow: true },
    { acltype: "subscribePattern", topic: instances, allow: true },
  ];
}

export interface MosquittoProvisionerOptions {
  /** The broker, e.g. `mqtt://127.0.0.1:1883` (the same broker as `COLDTRAIL_MQTT_URL`). */
  url: string;
  /** A dynsec admin (made by `mosquitto_ctrl dynsec init`). */
  username: string;
  password: string;
  log: Logger;
  /** How long one command may wait for its response; default 5000 ms. */
  timeoutMs?: number;
  /** How long the first connection may take; default 10000 ms. */
  connectTimeoutMs?: number;
}

export interface MosquittoProvisioner {
  /** Creates or updates the probe's client, password and role; ends sessions opened with an older secret. */
  ensureProbe(probeId: string, secret: string): Promise<ProvisionResult>;
  /** Deletes the probe's client (which disconnects it) and its role; absent ones are fine. */
  removeProbe(probeId: string): Promise<ProvisionResult>;
  /** Creates or updates coldtrail's own ingest client and the `coldtrail-server` role. */
  ensureServerClient(username: string, password: string): Promise<ProvisionResult>;
  /** Usernames of all dynsec clients (to find registered probes that have no broker client). */
  listClients(): Promise<ListResult>;
  /** One raw command, for diagnostics and tests. */
  send(
    command: DynsecCommand,
  ): Promise<
    { ok: true; response: DynsecResponse } | { ok: false; reason: ProvisionFailure; message: string }
  >;
  close(): Promise<void>;
}

export class DynsecConnectError extends Error {
  override readonly name = "DynsecConnectError";
}

const ALREADY_EXISTS = /already exists/i;
const NOT_FOUND = /not found/i;

/**
 * Connects as the dynsec admin and subscribes to the responses; rejects with a DynsecConnectError
 * naming the cause when the broker cannot be reached or refuses the login.
 */
export async function createMosquittoProvisioner(
  opts: MosquittoProvisionerOptions,
): Promise<MosquittoProvisioner> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const log = opts.log;
  // Other admin clients (mosquitto_ctrl, a second server) see the same response topic: a random
  // prefix keeps our correlation ids ours.
  const prefix = `coldtrail-${randomBytes(6).toString("hex")}`;
  const client: MqttClient = mqtt.connect(opts.url, {
    clientId: prefix,
    clean: true,
    protocolVersion: 4,
    username: opts.username,
    password: opts.password,
    reconnectPeriod: 1000,
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    manualConnect: true,
  });
  const pending = new Map<string, (r: DynsecResponse) => void>();
  let counter = 0;

  client.on("message", (topic, payload) => {
    if (topic !== DYNSEC_RESPONSE_TOPIC) return;
    let body: unknown;
    try {
      body = JSON.parse(payload.toString("utf8"));
    } catch {
      log.warn({ topic }, "mqtt.dynsec.bad_response");
      return;
    }
    const responses = (body as { responses?: unknown }).responses;
    if (!Array.isArray(responses)) return;
    for (const r of responses as DynsecResponse[]) {
      const id = typeof r?.correlationData === "string" ? r.correlationData : null;
      const resolve = id ? pending.get(id) : undefined;
      if (id && resolve) {
        pending.delete(id);
        resolve(r);
      }
    }
  });
  client.on("error", (err) => log.warn({ err: err.message }, "mqtt.dynsec.error"));

  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      client.end(true);
      const refused = /not authori[sz]ed|bad user ?name or password/i.test(err.message);
      reject(
        new DynsecConnectError(
          refused
            ? `Mosquitto at ${safeOrigin(opts.url)} refused the dynsec admin login for "${opts.username}" (${err.message}): check the admin username and password (mosquitto_ctrl dynsec init)`
            : `cannot reach Mosquitto at ${safeOrigin(opts.url)} for provisioning probes: ${err.message}`,
          { cause: err },
        ),
      );
    };
    client.once("error", fail);
    client.once("connect", () => {
      client.off("error", fail);
      resolve();
    });
    client.connect();
  });
  // mqtt.js rejects a SUBACK with return code 0x80 (MQTT 3.1.1 §3.9.3): not allowed to subscribe.
  const subscribed = await client.subscribeAsync(DYNSEC_RESPONSE_TOPIC, { qos: 1 }).then(
    (granted) => granted.every((g) => g.qos !== 128),
    () => false,
  );
  if (!subscribed) {
    client.end(true);
    throw new DynsecConnectError(
      `"${opts.username}" may not subscribe to ${DYNSEC_RESPONSE_TOPIC} at ${safeOrigin(opts.url)}: it is not a dynsec admin (give it the role mosquitto_ctrl dynsec init creates)`,
    );
  }
  log.info({ url: safeOrigin(opts.url) }, "mqtt.dynsec.connected");

  async function send(command: DynsecCommand) {
    if (client.disconnecting || !client.connected) {
      // mqtt.js would queue the command for the next connection; a caller waiting on an HTTP
      // request is better told now.
      return {
        ok: false as const,
        reason: "not_connected" as const,
        message: `not connected to Mosquitto at ${safeOrigin(opts.url)}`,
      };
    }
    counter += 1;
    const correlationData = `${prefix}-${counter}`;
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<DynsecResponse | null>((resolve) => {
      pending.set(correlationData, resolve);
      timer = setTimeout(() => {
        pending.delete(correlationData);
        resolve(null);
      }, timeoutMs);
    });
    client.publish(
      DYNSEC_TOPIC,
      JSON.stringify({ commands: [{ ...command, correlationData }] }),
      { qos: 1 },
      (err) => {
        if (err) log.warn({ command: command.command, err: err.message }, "mqtt.dynsec.publish_failed");
      },
    );
    const response = await answered;
    clearTimeout(timer);
    if (response === null) {
      return {
        ok: false as const,
        reason: "timeout" as const,
        message: `Mosquitto did not answer dynsec ${command.command} within ${timeoutMs} ms: is the dynamic security plugin loaded (plugin …mosquitto_dynamic_security.so in mosquitto.conf)?`,
      };
    }
    return { ok: true as const, response };
  }

  // One operation at a time: a probe's steps must not interleave with another's (see above).
  let queue: Promise<unknown> = Promise.resolve();
  function serial<T>(op: () => Promise<T>): Promise<T> {
    const run = queue.then(op, op);
    queue = run.catch(() => undefined);
    return run;
  }

  /** Runs a command; an error matching `tolerate` counts as success and is returned as `tolerated`. */
  async function step(
    command: DynsecCommand,
    what: string,
    tolerate?: RegExp,
  ): Promise<ProvisionResult & { tolerated?: boolean; data?: unknown }> {
    const r = await send(command);
    if (!r.ok) return r;
    const err = r.response.error;
    if (err === undefined) return { ok: true, data: r.response.data };
    if (tolerate?.test(err)) return { ok: true, tolerated: true };
    return {
      ok: false,
      reason: "refused",
      message: `Mosquitto refused dynsec ${command.command} for ${what}: ${err}`,
    };
  }

  async function ensureRole(rolename: string, acls: DynsecAcl[], what: string): Promise<ProvisionResult> {
    const created = await step({ command: "createRole", rolename, acls }, what, ALREADY_EXISTS);
    if (!created.ok || !created.tolerated) return created;
    // It existed: make its ACLs exactly ours again (modifyRole replaces the list).
    return step({ command: "modifyRole", rolename, acls }, what);
  }

  async function ensureClient(
    username: string,
    password: string,
    rolename: string,
    what: string,
  ): Promise<ProvisionResult & { existed?: boolean }> {
    const created = await step({ command: "createClient", username, password }, what, ALREADY_EXISTS);
    if (!created.ok) return created;
    if (created.tolerated) {
      const pw = await step({ command: "setClientPassword", username, password }, what);
      if (!pw.ok) return pw;
    }
    const got = await step({ command: "getClient", username }, what);
    if (!got.ok) return got;
    const roles = (
      (got.data as { client?: { roles?: { rolename?: string }[] } } | undefined)?.client?.roles ?? []
    ).map((r) => r.rolename);
    if (!roles.includes(rolename)) {
      const added = await step({ command: "addClientRole", username, rolename }, what);
      if (!added.ok) return added;
    }
    return { ok: true, existed: created.tolerated === true };
  }

  return {
    ensureProbe(probeId, secret) {
      if (!isProbeId(probeId)) {
        return Promise.resolve({
          ok: false,
          reason: "bad_probe_id",
          message: `probe id must be 3-64 characters of [A-Za-z0-9_-] (it is a topic level), got "${probeId.slice(0, 80)}"`,
        });
      }
      return serial(async () => {
        const what = `probe "${probeId}"`;
        const role = await ensureRole(probeRoleName(probeId), probeRoleAcls(probeId), what);
        if (!role.ok) return logFailure(role, probeId);
        const c = await ensureClient(probeId, secret, probeRoleName(probeId), what);
        if (!c.ok) return logFailure(c, probeId);
        if (c.existed) {
          // A new secret must end sessions opened with the old one; disableClient kicks them.
          const off = await step({ command: "disableClient", username: probeId }, what);
          if (!off.ok) return logFailure(off, probeId);
          const on = await step({ command: "enableClient", username: probeId }, what);
          if (!on.ok) return logFailure(on, probeId);
        }
        log.info({ probeId, updated: c.existed === true }, "mqtt.dynsec.probe_provisioned");
        return { ok: true };
      });
    },
    removeProbe(probeId) {
      if (!isProbeId(probeId)) {
        return Promise.resolve({
          ok: false,
          reason: "bad_probe_id",
          message: `not a probe id: "${probeId.slice(0, 80)}"`,
        });
      }
      return serial(async () => {
        const what = `probe "${probeId}"`;
        const c = await step({ command: "deleteClient", username: probeId }, what, NOT_FOUND);
        if (!c.ok) return logFailure(c, probeId);
        const r = await step({ command: "deleteRole", rolename: probeRoleName(probeId) }, what, NOT_FOUND);
        if (!r.ok) return logFailure(r, probeId);
        log.info({ probeId }, "mqtt.dynsec.probe_removed");
        return { ok: true };
      });
    },
    ensureServerClient(username, password) {
      return serial(async () => {
        const what = `coldtrail's ingest client "${username}"`;
        const role = await ensureRole(SERVER_ROLE, serverRoleAcls(), what);
        if (!role.ok) return logFailure(role, null);
        const c = await ensureClient(username, password, SERVER_ROLE, what);
        if (!c.ok) return logFailure(c, null);
        log.info({ username }, "mqtt.dynsec.server_client_ready");
        return { ok: true };
      });
    },
    listClients() {
      return serial(async (): Promise<ListResult> => {
        const r = await step(
          { command: "listClients", verbose: false, count: -1, offset: 0 },
          "the client list",
        );
        if (!r.ok) return r;
        const clients = (r.data as { clients?: unknown[] } | undefined)?.clients ?? [];
        // Non-verbose lists are usernames; verbose ones objects with a username.
        const usernames = clients
          .map((c) => (typeof c === "string" ? c : (c as { username?: unknown })?.username))
          .filter((u): u is string => typeof u === "string");
        return { ok: true, usernames };
      });
    },
    send: (command) => serial(() => send(command)),
    async close() {
      for (const resolve of pending.values()) resolve({ command: "", error: "provisioner closed" });
      pending.clear();
      // Forced: nothing queued here is worth waiting for, and a graceful end() waits for queued
      // QoS 1 messages until the broker is back (measured: past 5 s after a Mosquitto restart).
      await client.endAsync(true);
    },
  };

  function logFailure<T extends { ok: false; reason: ProvisionFailure; message: string }>(
    f: T,
    probeId: string | null,
  ): T {
    log.warn({ probeId, reason: f.reason, detail: f.message }, "mqtt.dynsec.failed");
    return f;
  }
}

/** The URL without any user:password, for messages and logs. */
function safeOrigin(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "(unparsable URL)";
  }
}
