import { readFileSync } from "node:fs";
import { type MqttPublish, publishViaAedes, publishViaMqttClient } from "../alerts/channels/mqtt.js";
import type { Config } from "../config.js";
import type { IncomingMessage, IngestOutcome } from "../ingest/ingest.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { type EmbeddedBrokerDeps, startEmbeddedBroker } from "./embedded.js";
import { connectExternalBroker, type ExternalBrokerDeps } from "./external.js";
import { type ComponentHealth, externalBrokerHealth } from "./external-state.js";
import { createMosquittoProvisioner, type MosquittoProvisioner } from "./mosquitto-dynsec.js";

export interface BrokerDeps {
  mqtt: Config["mqtt"];
  log: Logger;
  ingest(msg: IncomingMessage): Promise<IngestOutcome>;
  /** `ingest` with a callback (ingest.ts `handleThen`): the embedded broker's path, no promise a message. */
  ingestThen?: EmbeddedBrokerDeps["ingestThen"];
  /** External broker with a share group: every reading's copy, for judging only (external.ts `judge`). */
  judge?: ExternalBrokerDeps["judge"];
  /** For the embedded broker's logins. */
  secretHashOf(probeId: string): string | null;
  /** Every registered probe, to warn about those without a Mosquitto login. */
  probeIds(): string[];
  metrics: ExternalBrokerDeps["metrics"] & Pick<Metrics, "registry">;
}

export interface Broker {
  url: string;
  publish: MqttPublish;
  /**
   * Gives a probe's (new) secret to the broker: the embedded one closes the probe's connections
   * (they logged in with the old secret); Mosquitto gets the new login.
   */
  issueProbeCredentials(
    probeId: string,
    secret: string,
  ): Promise<{ ok: true } | { ok: false; message: string }>;
  /**
   * True when every reading reaches `judge` (external broker, shared subscription): alerting is fed
   * from there, not from the readings this instance stored (only its share).
   */
  judging?: boolean;
  /** The external ingest's health for /healthz; absent with the embedded broker (it is the process). */
  health?: () => ComponentHealth;
  close(): Promise<void>;
}

/**
 * The MQTT side: an external broker (Mosquitto, with logins provisioned through dynamic security
 * when admin credentials are given) when COLDTRAIL_MQTT_URL is set, else the embedded aedes one.
 */
export async function startBroker(deps: BrokerDeps): Promise<Broker> {
  const { mqtt, log } = deps;
  if (!mqtt.url) {
    const broker = await startEmbeddedBroker({
      port: mqtt.port,
      host: mqtt.host,
      tls: mqtt.tls && {
        port: mqtt.tls.port,
        cert: readPem(mqtt.tls.certFile, "COLDTRAIL_MQTT_TLS_CERT"),
        key: readPem(mqtt.tls.keyFile, "COLDTRAIL_MQTT_TLS_KEY"),
      },
      limits: mqtt.limits,
      log: log.child({ component: "mqtt" }),
      registry: deps.metrics.registry,
      secretHashOf: deps.secretHashOf,
      ingest: deps.ingest,
      ...(deps.ingestThen && { ingestThen: deps.ingestThen }),
    });
    return {
      url: `mqtt://${urlHost(mqtt.host)}:${broker.port}`,
      publish: publishViaAedes(broker.aedes),
      issueProbeCredentials: async (probeId) => {
        broker.disconnectProbe(probeId);
        return { ok: true };
      },
      close: broker.close,
    };
  }

  let provisioner: MosquittoProvisioner | null = null;
  if (mqtt.admin) {
    provisioner = await createMosquittoProvisioner({
      url: mqtt.url,
      ...mqtt.admin,
      log: log.child({ component: "dynsec" }),
    });
    const own = await provisioner.ensureServerClient(mqtt.username as string, mqtt.password as string);
    if (!own.ok) throw new Error(`cannot set up coldtrail's own Mosquitto login: ${own.message}`);
  }
  const ext = await connectExternalBroker({
    url: mqtt.url,
    username: mqtt.username,
    password: mqtt.password,
    clientId: mqtt.ingest.clientId,
    clients: mqtt.ingest.clients,
    shareGroup: mqtt.ingest.shareGroup,
    receiveMaximum: mqtt.ingest.receiveMaximum,
    protocol: mqtt.ingest.protocol,
    adoptAfterS: mqtt.ingest.adoptAfterS,
    judgeSessionExpiryS: mqtt.ingest.judgeSessionExpiryS,
    log: log.child({ component: "mqtt" }),
    metrics: deps.metrics,
    ingest: deps.ingest,
    ...(deps.ingestThen && { ingestThen: deps.ingestThen }),
    ...(deps.judge && { judge: deps.judge }),
  });
  if (provisioner) {
    // Secrets are stored hashed, so probes registered before provisioning cannot get a login
    // now; a new secret (POST /probes/{id}/secret) gives them one.
    const listed = await provisioner.listClients();
    if (listed.ok) {
      const have = new Set(listed.usernames);
      const missing = deps.probeIds().filter((id) => !have.has(id));
      if (missing.length) {
        log.warn(
          { count: missing.length, probeIds: missing.slice(0, 20), fix: "POST /api/v1/probes/{id}/secret" },
          "mqtt.dynsec.probes_without_login",
        );
      }
    }
  }
  const dynsec = provisioner;
  return {
    url: mqtt.url,
    publish: publishViaMqttClient(ext.client),
    judging: ext.judging,
    health: () => externalBrokerHealth(ext.state()),
    issueProbeCredentials: async (probeId, secret) =>
      dynsec ? dynsec.ensureProbe(probeId, secret) : { ok: true },
    async close() {
      await ext.close();
      await dynsec?.close();
    },
  };
}

function readPem(file: string, variable: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new Error(
      `${variable}: cannot read PEM file "${file}" (${(e as Error).message}); give a readable file or unset it`,
    );
  }
}

/** The host part of the broker's URL: loopback when it listens on every interface. */
function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}
