import { z } from "zod";
import { DEFAULT_RECEIVE_MAXIMUM } from "./broker/read-window.js";
import { checkDatabaseUrl, maskDatabaseUrl } from "./db/sql/database-url.js";
import { newHolderId } from "./ha/unit-leases.js";
import { parseSecretKey } from "./secret-key.js";
import { parseTrustProxy, type TrustProxy } from "./trust-proxy.js";

/**
 * Configuration from the environment (DESIGN.md, "Running and configuration"), validated once at
 * start-up. A bad value stops start-up with a message naming the variable.
 */
const port = (name: string, fallback: number) =>
  z.coerce
    .number({ error: `${name} must be a TCP port number` })
    .int(`${name} must be a whole number`)
    .min(0, `${name} must be 0-65535`)
    .max(65535, `${name} must be 0-65535`)
    .default(fallback);

const url = (name: string, protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}`,
  );

const count = (name: string, fallback: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be a whole number` })
    .int(`${name} must be a whole number`)
    .min(1, `${name} must be at least 1`)
    .max(max, `${name} must be at most ${max}`)
    .default(fallback);

/**
 * MQTT limits of the embedded broker (issue #14; docs/protocol.md "Broker limits"). The fixed
 * limits with their reasons are in server/src/broker/limits.ts.
 */
const mqttLimitsSchema = {
  /** The embedded broker's address; 127.0.0.1 unless devices on the network must reach it. */
  COLDTRAIL_MQTT_HOST: z.string().min(1).default("127.0.0.1"),
  /** MQTT connections at once, logged in or not. */
  COLDTRAIL_MQTT_MAX_CONNECTIONS: count("COLDTRAIL_MQTT_MAX_CONNECTIONS", 20_000, 1_000_000),
  /** Connections of one probe at once (a device and, say, a bench tool). */
  COLDTRAIL_MQTT_MAX_CONNECTIONS_PER_PROBE: count("COLDTRAIL_MQTT_MAX_CONNECTIONS_PER_PROBE", 2, 100),
  /** PEM certificate and key: with both, the embedded broker also listens for mqtts. */
  COLDTRAIL_MQTT_TLS_CERT: z.string().min(1).optional(),
  COLDTRAIL_MQTT_TLS_KEY: z.string().min(1).optional(),
  COLDTRAIL_MQTTS_PORT: port("COLDTRAIL_MQTTS_PORT", 8883),
};

const envSchema = z
  .object({
    COLDTRAIL_HTTP_PORT: port("COLDTRAIL_HTTP_PORT", 8080),
    // HTTP exposure (issue #14): this machine only unless the operator says otherwise.
    /** The address the HTTP server binds; 0.0.0.0 to serve the network (docker-compose sets it). */
    COLDTRAIL_HTTP_HOST: z.string().min(1).default("127.0.0.1"),
    /** Origins (comma-separated, like https://hub.example) allowed to call the API from a browser; none by default. */
    COLDTRAIL_CORS_ORIGINS: z
      .string()
      .default("")
      .transform((v) =>
        v
          .split(",")
          .map((o) => o.trim())
          .filter(Boolean),
      )
      .refine(
        (a) => a.every((o) => /^https?:\/\/[^/\s]+$/.test(o)),
        "COLDTRAIL_CORS_ORIGINS must list origins like https://hub.example (scheme and host, no path), separated by commas",
      ),
    /**
     * The reverse proxies whose X-Forwarded-For is believed, so rate limits and audit addresses are
     * the client's, not the proxy's: addresses or CIDRs (comma-separated), or a number of hops.
     * Unset: nobody's (a client could otherwise claim any address).
     */
    COLDTRAIL_TRUST_PROXY: z
      .string()
      .default("")
      .transform((v, ctx) => {
        const parsed = parseTrustProxy(v);
        if (!parsed.ok) {
          ctx.addIssue({ code: "custom", message: parsed.reason });
          return z.NEVER;
        }
        return parsed.value;
      }),
    /** 1: webhooks may target loopback, link-local and private addresses (a LAN receiver, tests). */
    COLDTRAIL_WEBHOOK_ALLOW_PRIVATE: z
      .enum(["0", "1"], { error: "COLDTRAIL_WEBHOOK_ALLOW_PRIVATE must be 0 or 1" })
      .default("0")
      .transform((v) => v === "1"),
    COLDTRAIL_MQTT_PORT: port("COLDTRAIL_MQTT_PORT", 1883),
    COLDTRAIL_MQTT_URL: url("COLDTRAIL_MQTT_URL", ["mqtt:", "mqtts:", "tcp:", "ws:", "wss:"]).optional(),
    COLDTRAIL_MQTT_USERNAME: z.string().optional(),
    /** External broker ingest with COLDTRAIL_MQTT_SHARE_GROUP: connections sharing the readings. */
    COLDTRAIL_MQTT_INGEST_CLIENTS: z.coerce
      .number({ error: "COLDTRAIL_MQTT_INGEST_CLIENTS must be a number of connections, 1-64" })
      .int("COLDTRAIL_MQTT_INGEST_CLIENTS must be a whole number")
      .min(1, "COLDTRAIL_MQTT_INGEST_CLIENTS must be 1-64")
      .max(64, "COLDTRAIL_MQTT_INGEST_CLIENTS must be 1-64")
      .default(4),
    /** An MQTT 5 shared subscription group: instances with the same group share the readings. */
    COLDTRAIL_MQTT_SHARE_GROUP: z
      .string()
      .regex(
        /^[A-Za-z0-9_-]{1,64}$/,
        "COLDTRAIL_MQTT_SHARE_GROUP must be 1-64 characters of [A-Za-z0-9_-] (no / + #), e.g. coldtrail",
      )
      .optional(),
    /** The ingest's client id (connection i > 0 adds "-i"): each instance needs its own. */
    COLDTRAIL_MQTT_INGEST_CLIENT_ID: z
      .string()
      .regex(
        /^[A-Za-z0-9_-]{1,60}$/,
        "COLDTRAIL_MQTT_INGEST_CLIENT_ID must be 1-60 characters of [A-Za-z0-9_-], different on each instance",
      )
      .default("coldtrail-ingest"),
    /**
     * Unacknowledged messages the broker may send each ingest connection at once (MQTT 5 Receive
     * Maximum), and the most each reads ahead of its journal commits (broker/read-window.ts).
     */
    COLDTRAIL_MQTT_RECEIVE_MAXIMUM: z.coerce
      .number({ error: "COLDTRAIL_MQTT_RECEIVE_MAXIMUM must be a number, 1-65535" })
      .int("COLDTRAIL_MQTT_RECEIVE_MAXIMUM must be a whole number")
      .min(1, "COLDTRAIL_MQTT_RECEIVE_MAXIMUM must be 1-65535")
      .max(65535, "COLDTRAIL_MQTT_RECEIVE_MAXIMUM must be 1-65535")
      .default(DEFAULT_RECEIVE_MAXIMUM),
    /**
     * With a share group: seconds an instance stays offline (its presence Will) before a survivor
     * adopts its persistent sessions and drains what Mosquitto queued for them; "off": never.
     */
    COLDTRAIL_MQTT_ADOPT_AFTER_S: z
      .union(
        [
          z.literal("off"),
          z.coerce
            .number({ error: 'COLDTRAIL_MQTT_ADOPT_AFTER_S must be seconds, 1-86400, or "off"' })
            .int("COLDTRAIL_MQTT_ADOPT_AFTER_S must be a whole number of seconds")
            .min(1, 'COLDTRAIL_MQTT_ADOPT_AFTER_S must be 1-86400 seconds, or "off"')
            .max(86_400, 'COLDTRAIL_MQTT_ADOPT_AFTER_S must be 1-86400 seconds, or "off"'),
        ],
        { error: 'COLDTRAIL_MQTT_ADOPT_AFTER_S must be seconds, 1-86400, or "off"' },
      )
      .default(60),
    /**
     * With a share group: the MQTT 5 Session Expiry Interval of the judging connection
     * (`<client id>-judge`). Its copy of the readings is judged, never stored, so when an instance
     * is gone for longer the broker may drop its queue: nothing is lost but that instance's shadow
     * state. Long enough to ride out a restart or a broker blip.
     */
    COLDTRAIL_MQTT_JUDGE_SESSION_EXPIRY_S: z.coerce
      .number({ error: "COLDTRAIL_MQTT_JUDGE_SESSION_EXPIRY_S must be seconds, 1-86400" })
      .int("COLDTRAIL_MQTT_JUDGE_SESSION_EXPIRY_S must be a whole number of seconds")
      .min(1, "COLDTRAIL_MQTT_JUDGE_SESSION_EXPIRY_S must be 1-86400 seconds")
      .max(86_400, "COLDTRAIL_MQTT_JUDGE_SESSION_EXPIRY_S must be 1-86400 seconds")
      .default(300),
    /** "5" (shared subscriptions, falls back by itself) or "3.1.1" (one plain subscription). */
    COLDTRAIL_MQTT_PROTOCOL: z
      .enum(["5", "3.1.1"], { error: 'COLDTRAIL_MQTT_PROTOCOL must be "5" or "3.1.1"' })
      .default("5"),
    COLDTRAIL_MQTT_PASSWORD: z.string().optional(),
    /** Mosquitto dynamic-security admin: the server then creates each probe's broker login itself. */
    COLDTRAIL_MQTT_ADMIN_USERNAME: z.string().min(1).optional(),
    COLDTRAIL_MQTT_ADMIN_PASSWORD: z.string().min(1).optional(),
    /** What devices are told to connect to, in `POST /probes` answers. Default: derived from the broker. */
    COLDTRAIL_PUBLIC_MQTT_URL: url("COLDTRAIL_PUBLIC_MQTT_URL", [
      "mqtt:",
      "mqtts:",
      "ws:",
      "wss:",
    ]).optional(),
    COLDTRAIL_PUBLIC_URL: url("COLDTRAIL_PUBLIC_URL", ["http:", "https:"]).optional(),
    COLDTRAIL_DATA_DIR: z.string().min(1, "COLDTRAIL_DATA_DIR must not be empty").default("./data"),
    /** The shared registry's PostgreSQL (issue #13); unset: the embedded SQLite file in the data folder. */
    COLDTRAIL_DATABASE_URL: z
      .string()
      .superRefine((v, ctx) => {
        const check = checkDatabaseUrl(v);
        if (!check.ok) ctx.addIssue({ code: "custom", message: `COLDTRAIL_DATABASE_URL ${check.reason}` });
      })
      .optional(),
    /** Seconds a unit lease lives without renewal; renewed every third of it. */
    COLDTRAIL_LEASE_TTL_S: z.coerce
      .number({ error: "COLDTRAIL_LEASE_TTL_S must be a number of seconds, 3-3600" })
      .int("COLDTRAIL_LEASE_TTL_S must be a whole number of seconds")
      .min(3, "COLDTRAIL_LEASE_TTL_S must be 3-3600 seconds (leases are renewed every third of it)")
      .max(3600, "COLDTRAIL_LEASE_TTL_S must be 3-3600 seconds (leases are renewed every third of it)")
      .default(15),
    /** This instance's name in unit leases; different on each instance running at once. */
    COLDTRAIL_INSTANCE_ID: z
      .string()
      .regex(
        /^[A-Za-z0-9_.:/-]{1,100}$/,
        "COLDTRAIL_INSTANCE_ID must be 1-100 characters of [A-Za-z0-9_.:/-], different on each instance running at once",
      )
      .optional(),
    COLDTRAIL_STORE: z
      .string()
      .default("sqlite")
      .refine((v) => v === "sqlite" || v === "influx", {
        error: (issue) => `COLDTRAIL_STORE must be "sqlite" or "influx", got "${String(issue.input)}"`,
      })
      .transform((v) => v as "sqlite" | "influx"),
    COLDTRAIL_INFLUX_URL: url("COLDTRAIL_INFLUX_URL", ["http:", "https:"]).optional(),
    COLDTRAIL_INFLUX_DB: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, "COLDTRAIL_INFLUX_DB must be 1-64 characters of [A-Za-z0-9_-]")
      .default("coldtrail"),
    COLDTRAIL_INFLUX_TOKEN: z.string().optional(),
    COLDTRAIL_ADMIN_TOKEN: z
      .string()
      .min(16, "COLDTRAIL_ADMIN_TOKEN must be at least 16 characters")
      .optional(),
    /**
     * Seals alert channel secrets at rest (secret-key.ts): 32 bytes as 64 hex digits or base64.
     * Unset: generated into the data folder. Several instances on one database need the same one.
     */
    COLDTRAIL_SECRET_KEY: z
      .string()
      .refine(
        (v) => parseSecretKey(v) !== null,
        "COLDTRAIL_SECRET_KEY must be 32 random bytes as 64 hex digits or base64, e.g. `openssl rand -hex 32`",
      )
      .optional(),
    /** The first admin's sign-in email: until someone accepts, each start prints a setup link for it. */
    COLDTRAIL_ADMIN_EMAIL: z
      .string()
      .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, "COLDTRAIL_ADMIN_EMAIL must look like name@example.org")
      .default("admin@coldtrail.local"),
    COLDTRAIL_SMTP_URL: url("COLDTRAIL_SMTP_URL", ["smtp:", "smtps:"]).optional(),
    /** Web push's VAPID key pair (base64url); generated into the data folder when unset. */
    COLDTRAIL_VAPID_PUBLIC_KEY: z.string().optional(),
    COLDTRAIL_VAPID_PRIVATE_KEY: z.string().optional(),
    /** The contact push services see: mailto:… or https://…; default the public URL when https. */
    COLDTRAIL_VAPID_SUBJECT: z.string().optional(),
    /** A household broker where an OpenMQTTGateway or Theengs Gateway publishes BLE advertisements. */
    COLDTRAIL_BLE_BRIDGE_URL: url("COLDTRAIL_BLE_BRIDGE_URL", [
      "mqtt:",
      "mqtts:",
      "tcp:",
      "ws:",
      "wss:",
    ]).optional(),
    COLDTRAIL_BLE_BRIDGE_USERNAME: z.string().optional(),
    COLDTRAIL_BLE_BRIDGE_PASSWORD: z.string().optional(),
    COLDTRAIL_BLE_BRIDGE_TOPICS: z
      .string()
      .default("home/+/BTtoMQTT/+")
      .transform((v) =>
        v
          .split(",")
          .map((t) => t.trim())
          .filter(Boolean),
      )
      .refine((a) => a.length > 0, "COLDTRAIL_BLE_BRIDGE_TOPICS must list at least one MQTT topic filter"),
    COLDTRAIL_LOG_LEVEL: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .default("info"),
    /**
     * The time zone of times written in emails and webhooks (an IANA name such as Europe/London);
     * pages show times in the reader's browser zone. Default: the server's own zone.
     */
    COLDTRAIL_TIME_ZONE: z
      .string()
      .refine(
        isTimeZone,
        "COLDTRAIL_TIME_ZONE must be an IANA time zone name such as Europe/London or America/New_York",
      )
      .optional(),
    /** Journal group commit: the longest a PUBACK waits for more messages to share one fsync. */
    COLDTRAIL_JOURNAL_MAX_WAIT_MS: z.coerce.number().min(0).max(1000).default(2),
    ...mqttLimitsSchema,
  })
  .superRefine((env, ctx) => {
    const admin =
      env.COLDTRAIL_MQTT_ADMIN_USERNAME !== undefined || env.COLDTRAIL_MQTT_ADMIN_PASSWORD !== undefined;
    if (
      admin &&
      (env.COLDTRAIL_MQTT_ADMIN_USERNAME === undefined || env.COLDTRAIL_MQTT_ADMIN_PASSWORD === undefined)
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["COLDTRAIL_MQTT_ADMIN_USERNAME"],
        message: "COLDTRAIL_MQTT_ADMIN_USERNAME and COLDTRAIL_MQTT_ADMIN_PASSWORD must be set together",
      });
    }
    if (admin && !env.COLDTRAIL_MQTT_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["COLDTRAIL_MQTT_ADMIN_USERNAME"],
        message:
          "COLDTRAIL_MQTT_ADMIN_USERNAME needs COLDTRAIL_MQTT_URL (an external Mosquitto); the embedded broker has its own logins",
      });
    }
    if (admin && (!env.COLDTRAIL_MQTT_USERNAME || !env.COLDTRAIL_MQTT_PASSWORD)) {
      ctx.addIssue({
        code: "custom",
        path: ["COLDTRAIL_MQTT_USERNAME"],
        message:
          "COLDTRAIL_MQTT_USERNAME and COLDTRAIL_MQTT_PASSWORD (coldtrail's own broker login) are needed with COLDTRAIL_MQTT_ADMIN_USERNAME",
      });
    }
    if ((env.COLDTRAIL_MQTT_TLS_CERT === undefined) !== (env.COLDTRAIL_MQTT_TLS_KEY === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["COLDTRAIL_MQTT_TLS_CERT"],
        message: "COLDTRAIL_MQTT_TLS_CERT and COLDTRAIL_MQTT_TLS_KEY (PEM file paths) must be set together",
      });
    }
    if (env.COLDTRAIL_STORE === "influx" && !env.COLDTRAIL_INFLUX_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["COLDTRAIL_INFLUX_URL"],
        message:
          'COLDTRAIL_INFLUX_URL is required when COLDTRAIL_STORE is "influx" (e.g. http://127.0.0.1:8086)',
      });
    }
  });

export interface Config {
  http: {
    port: number;
    host: string;
    publicUrl: string | undefined;
    corsOrigins: string[];
    /** Proxies whose X-Forwarded-For is believed: addresses/CIDRs or a hop count; false for none. */
    trustProxy: TrustProxy;
  };
  /** Where webhook channels may POST. */
  webhooks: { allowPrivate: boolean };
  mqtt: {
    /** The embedded broker's port; ignored when `url` is set. */
    port: number;
    url: string | undefined;
    username: string | undefined;
    password: string | undefined;
    publicUrl: string | undefined;
    /** Mosquitto dynamic-security admin login, to create probes' logins. */
    admin: { username: string; password: string } | undefined;
    /** The embedded broker's address. */
    host: string;
    /** The embedded broker's connection limits. */
    limits: { maxConnections: number; maxConnectionsPerProbe: number };
    /** The embedded broker's mqtts listener: PEM file paths and port. */
    tls: { certFile: string; keyFile: string; port: number } | undefined;
    /** The external broker's ingest connections (see broker/external.ts). */
    ingest: {
      clients: number;
      /** Unset: one plain subscription. */
      shareGroup: string | undefined;
      clientId: string;
      receiveMaximum: number;
      protocol: "5" | "3.1.1";
      /** Share group only: seconds before a survivor adopts an offline instance's sessions; null: never. */
      adoptAfterS: number | null;
      /** Share group only: the judging connection's MQTT 5 session expiry, seconds. */
      judgeSessionExpiryS: number;
    };
  };
  dataDir: string;
  /** Where the shared registry lives: the data folder's SQLite file, or a PostgreSQL. */
  database: { kind: "sqlite" } | { kind: "postgres"; url: string };
  /** Several instances (issue #13): this one's name in unit leases, and how long a lease lives. */
  ha: { instanceId: string; leaseTtlMs: number };
  store: { kind: "sqlite" } | { kind: "influx"; url: string; database: string; token: string | undefined };
  adminToken: string | undefined;
  /** COLDTRAIL_SECRET_KEY as given (checked); unset: the data folder's `secret-key`. */
  secretKey: string | undefined;
  /** The first admin account's email (the setup link is for it). */
  adminEmail: string;
  smtpUrl: string | undefined;
  /** Web push's VAPID keys and subject as given; missing keys are generated at start. */
  vapid: { publicKey: string | undefined; privateKey: string | undefined; subject: string | undefined };
  bleBridge:
    | { url: string; username: string | undefined; password: string | undefined; topics: string[] }
    | undefined;
  logLevel: string;
  /** IANA zone for times in emails and webhooks. */
  timeZone: string;
  journal: { maxWaitMs: number };
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The zone this process runs in (TZ, or the system's), for when COLDTRAIL_TIME_ZONE is unset. */
const serverTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const r = envSchema.safeParse(present);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const name = String(i.path[0] ?? "environment");
      const seen = present[name];
      const secret = /TOKEN|PASSWORD|SMTP_URL|PRIVATE_KEY|SECRET_KEY/.test(name);
      const shown = name === "COLDTRAIL_DATABASE_URL" && seen !== undefined ? maskDatabaseUrl(seen) : seen;
      return `${name}: ${i.message}${shown !== undefined && !secret ? ` (got "${shown}")` : ""}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const e = r.data;
  return {
    http: {
      port: e.COLDTRAIL_HTTP_PORT,
      host: e.COLDTRAIL_HTTP_HOST,
      publicUrl: e.COLDTRAIL_PUBLIC_URL,
      corsOrigins: e.COLDTRAIL_CORS_ORIGINS,
      trustProxy: e.COLDTRAIL_TRUST_PROXY,
    },
    webhooks: { allowPrivate: e.COLDTRAIL_WEBHOOK_ALLOW_PRIVATE },
    mqtt: {
      port: e.COLDTRAIL_MQTT_PORT,
      url: e.COLDTRAIL_MQTT_URL,
      username: e.COLDTRAIL_MQTT_USERNAME,
      password: e.COLDTRAIL_MQTT_PASSWORD,
      publicUrl: e.COLDTRAIL_PUBLIC_MQTT_URL,
      admin:
        e.COLDTRAIL_MQTT_ADMIN_USERNAME && e.COLDTRAIL_MQTT_ADMIN_PASSWORD
          ? { username: e.COLDTRAIL_MQTT_ADMIN_USERNAME, password: e.COLDTRAIL_MQTT_ADMIN_PASSWORD }
          : undefined,
      host: e.COLDTRAIL_MQTT_HOST,
      ingest: {
        clients: e.COLDTRAIL_MQTT_INGEST_CLIENTS,
        shareGroup: e.COLDTRAIL_MQTT_SHARE_GROUP,
        clientId: e.COLDTRAIL_MQTT_INGEST_CLIENT_ID,
        receiveMaximum: e.COLDTRAIL_MQTT_RECEIVE_MAXIMUM,
        protocol: e.COLDTRAIL_MQTT_PROTOCOL,
        adoptAfterS: e.COLDTRAIL_MQTT_ADOPT_AFTER_S === "off" ? null : e.COLDTRAIL_MQTT_ADOPT_AFTER_S,
        judgeSessionExpiryS: e.COLDTRAIL_MQTT_JUDGE_SESSION_EXPIRY_S,
      },
      limits: {
        maxConnections: e.COLDTRAIL_MQTT_MAX_CONNECTIONS,
        maxConnectionsPerProbe: e.COLDTRAIL_MQTT_MAX_CONNECTIONS_PER_PROBE,
      },
      tls:
        e.COLDTRAIL_MQTT_TLS_CERT && e.COLDTRAIL_MQTT_TLS_KEY
          ? {
              certFile: e.COLDTRAIL_MQTT_TLS_CERT,
              keyFile: e.COLDTRAIL_MQTT_TLS_KEY,
              port: e.COLDTRAIL_MQTTS_PORT,
            }
          : undefined,
    },
    dataDir: e.COLDTRAIL_DATA_DIR,
    database:
      e.COLDTRAIL_DATABASE_URL === undefined
        ? { kind: "sqlite" }
        : { kind: "postgres", url: e.COLDTRAIL_DATABASE_URL },
    ha: {
      instanceId: e.COLDTRAIL_INSTANCE_ID ?? newHolderId(),
      leaseTtlMs: e.COLDTRAIL_LEASE_TTL_S * 1000,
    },
    store:
      e.COLDTRAIL_STORE === "influx"
        ? {
            kind: "influx",
            url: e.COLDTRAIL_INFLUX_URL as string,
            database: e.COLDTRAIL_INFLUX_DB,
            token: e.COLDTRAIL_INFLUX_TOKEN,
          }
        : { kind: "sqlite" },
    adminToken: e.COLDTRAIL_ADMIN_TOKEN,
    secretKey: e.COLDTRAIL_SECRET_KEY,
    adminEmail: e.COLDTRAIL_ADMIN_EMAIL,
    smtpUrl: e.COLDTRAIL_SMTP_URL,
    vapid: {
      publicKey: e.COLDTRAIL_VAPID_PUBLIC_KEY,
      privateKey: e.COLDTRAIL_VAPID_PRIVATE_KEY,
      subject: e.COLDTRAIL_VAPID_SUBJECT,
    },
    bleBridge: e.COLDTRAIL_BLE_BRIDGE_URL
      ? {
          url: e.COLDTRAIL_BLE_BRIDGE_URL,
          username: e.COLDTRAIL_BLE_BRIDGE_USERNAME,
          password: e.COLDTRAIL_BLE_BRIDGE_PASSWORD,
          topics: e.COLDTRAIL_BLE_BRIDGE_TOPICS,
        }
      : undefined,
    logLevel: e.COLDTRAIL_LOG_LEVEL,
    timeZone: e.COLDTRAIL_TIME_ZONE ?? serverTimeZone(),
    // Behind an external broker the ingest connections hand over every message they have read
    // at once (acknowledged after the commit): the group is whatever arrived in one event-loop
    // turn, so no timer is needed.
    journal: {
      maxWaitMs:
        e.COLDTRAIL_MQTT_URL && present.COLDTRAIL_JOURNAL_MAX_WAIT_MS === undefined
          ? 0
          : e.COLDTRAIL_JOURNAL_MAX_WAIT_MS,
    },
  };
}

/** For process entry points: the configuration, or a message naming the variable and exit code 2. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv): Config {
  try {
    return loadConfig(env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`coldtrail: ${e.message}\n`);
    process.exit(2);
  }
}
