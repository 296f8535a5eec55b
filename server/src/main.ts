import { startColdtrail } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { buildDashboardForServer } from "./dashboard-build.js";
import { createLogger } from "./logger.js";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`coldtrail: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
const log = createLogger(config.logLevel);
const app = await startColdtrail(config, { log, dashboardDir: await buildDashboardForServer(log) });
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, "coldtrail.stopping");
    app.stop().then(
      () => process.exit(0),
      (e: Error) => {
        log.error({ err: e.message }, "coldtrail.stop_failed");
        process.exit(1);
      },
    );
  });
}
