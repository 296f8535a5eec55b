import { startColdtrailOrExit } from "./app.js";
import { loadConfigOrExit } from "./config.js";
import { dashboardDirOrExit } from "./dashboard-dir.js";
import { createLogger } from "./logger.js";

const config = loadConfigOrExit(process.env);
const log = createLogger(config.logLevel);
const app = await startColdtrailOrExit(config, { log, dashboardDir: dashboardDirOrExit(process.env, log) });
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
