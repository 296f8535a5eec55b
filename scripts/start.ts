/**
 * `npm start`: the whole system on embedded defaults — aedes broker, SQLite, server, dashboard —
 * plus simulated probes (a separate process), so a newcomer sees live freezers within seconds.
 * Set COLDTRAIL_SIM_PROBES=0 to start without simulated probes.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startColdtrailOrExit } from "../server/src/app.js";
import { loadConfigOrExit } from "../server/src/config.js";
import { dashboardDirOrExit } from "../server/src/dashboard-dir.js";
import { createLogger } from "../server/src/logger.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

const config = loadConfigOrExit(process.env);
const log = createLogger(config.logLevel);
const app = await startColdtrailOrExit(config, { log, dashboardDir: dashboardDirOrExit(process.env, log) });
const probes = Number(process.env.COLDTRAIL_SIM_PROBES ?? 4);

process.stdout.write(
  `\ncoldtrail is running\n  API and dashboard  ${app.httpUrl}\n  MQTT broker        ${app.mqttUrl}\n  admin token        in ${join(config.dataDir, "admin-token")} (or COLDTRAIL_ADMIN_TOKEN)\n  try: curl -H "Authorization: Bearer $(cat ${join(config.dataDir, "admin-token")})" ${app.httpUrl}/api/v1/units\n\n`,
);

const sim =
  probes > 0
    ? spawn(
        process.execPath,
        [
          join(ROOT, "simulators/bin/coldtrail-sim.js"),
          "demo",
          "--api",
          app.httpUrl,
          "--probes",
          String(probes),
          "--state",
          join(config.dataDir, "sim-probes.json"),
        ],
        // The token goes by environment, not argv, so it does not show in `ps`.
        { stdio: "inherit", env: { ...process.env, COLDTRAIL_ADMIN_TOKEN: app.adminToken } },
      )
    : null;

let stopping = false;
async function stop(signal: string) {
  if (stopping) process.exit(1);
  stopping = true;
  log.info({ signal }, "coldtrail.stopping");
  sim?.kill("SIGTERM");
  await app.stop();
  process.exit(0);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
sim?.on("exit", (code) => {
  if (!stopping && code !== 0) log.warn({ code }, "simulator.exited");
});
