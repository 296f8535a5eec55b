/**
 * vitest globalSetup: one InfluxDB for the whole run, handed to tests as `inject("influxUrl")`.
 * - `COLDTRAIL_TEST_INFLUX_URL` set: use that server, start nothing.
 * - `COLDTRAIL_SKIP_INFLUX=1`: start nothing; `influxUrl` is "" and InfluxDB tests skip themselves.
 * - otherwise: start Debian's `influxd` on free loopback ports, stop it at the end.
 * Tests share the server but each uses its own database (`uniqueDatabaseName()` in `./influxd.ts`).
 */
import type { TestProject } from "vitest/node";
import { type InfluxdHarness, startInfluxd } from "./influxd.js";

declare module "vitest" {
  interface ProvidedContext {
    /** Base URL of the test InfluxDB, or "" when COLDTRAIL_SKIP_INFLUX=1. */
    influxUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.COLDTRAIL_TEST_INFLUX_URL;
  if (external !== undefined && external !== "") {
    project.provide("influxUrl", external.replace(/\/+$/, ""));
    return async () => {};
  }
  if (process.env.COLDTRAIL_SKIP_INFLUX === "1") {
    project.provide("influxUrl", "");
    return async () => {};
  }
  let influxd: InfluxdHarness;
  try {
    influxd = await startInfluxd();
  } catch (error) {
    // The harness's message already says: apt-get install influxdb, or the two variables above.
    throw new Error(`test global setup: ${(error as Error).message}`, { cause: error });
  }
  project.provide("influxUrl", influxd.url);
  return () => influxd.dispose();
}
