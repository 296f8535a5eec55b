/**
 * A real Mosquitto (test/mosquitto.ts) with coldtrail's own ingest login in its dynamic-security
 * configuration, as `deploy/` sets it up: for the tests of ingest behind an external broker.
 */
import { type MosquittoHarness, startMosquitto } from "../../test/mosquitto.js";
import { createMosquittoProvisioner, type MosquittoProvisioner } from "../src/broker/mosquitto-dynsec.js";
import { createLogger, type Logger } from "../src/logger.js";

/** The login the server ingests with (COLDTRAIL_MQTT_USERNAME / _PASSWORD). */
export const SERVER_USER = { username: "coldtrail-server", password: "ingest-password-0123456789" };

export async function startIngestBroker(
  log: Logger = createLogger("silent"),
): Promise<{ m: MosquittoHarness; prov: MosquittoProvisioner }> {
  const m = await startMosquitto();
  const prov = await createMosquittoProvisioner({ url: m.url, ...m.admin, log });
  const ready = await prov.ensureServerClient(SERVER_USER.username, SERVER_USER.password);
  if (!ready.ok) throw new Error(ready.message);
  return { m, prov };
}
