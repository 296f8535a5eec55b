import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Coldtrail, startColdtrail } from "../server/src/app.js";
import { loadConfig } from "../server/src/config.js";
import { createLogger } from "../server/src/logger.js";

/** coldtrail on ephemeral loopback ports with its own data directory, quiet, for a benchmark. */
export async function benchServer(
  env: Record<string, string>,
  dir = mkdtempSync(join(tmpdir(), "coldtrail-bench-")),
): Promise<{ app: Coldtrail; dir: string }> {
  const config = loadConfig({
    COLDTRAIL_HTTP_PORT: "0",
    COLDTRAIL_HTTP_HOST: "127.0.0.1",
    COLDTRAIL_MQTT_PORT: "0",
    COLDTRAIL_DATA_DIR: dir,
    COLDTRAIL_ADMIN_TOKEN: "bench-admin-token-0123456789",
    COLDTRAIL_LOG_LEVEL: "warn",
    ...env,
  });
  return { app: await startColdtrail(config, { log: createLogger("warn") }), dir };
}
