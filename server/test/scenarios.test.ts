import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseScenario } from "@coldtrail/simulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, storeVariants, type TestServer } from "./harness.js";
import { runScenario } from "./scenario-runner.js";

/**
 * Every scenario file of the simulators, run end to end over MQTT against the real server (with
 * SQLite and with InfluxDB): the verdicts and alerts each file expects must hold.
 */
const DIR = join(dirname(fileURLToPath(import.meta.url)), "../../simulators/src/scenarios/examples");
const files = readdirSync(DIR).filter((f) => f.endsWith(".json"));

const stores = storeVariants("scen");

describe.each(stores)("simulator scenarios end to end (%s)", (_name, envOf) => {
  const env = envOf();
  let s: TestServer;
  beforeAll(async () => {
    // The alert timers run only when the runner says the scenario is over: a scenario's hours are
    // replayed in seconds, and a periodic tick midway (a loaded machine replays slower than its
    // 15 s) judged silence up to now after a warm reading, raising an excursion that was not.
    if (env) s = await startTestServer(env, undefined, { alertTickEveryMs: 0 });
  });
  afterAll(async () => s?.cleanup());

  it.skipIf(!env).each(files)(
    "%s",
    async (file) => {
      const parsed = parseScenario(JSON.parse(readFileSync(join(DIR, file), "utf8")));
      if (!parsed.ok) throw new Error(parsed.reason);
      const scenario = parsed.scenario;
      const out = await runScenario(s, scenario);
      for (const want of scenario.expect?.verdicts ?? []) {
        expect({ unit: want.unit, ...out.verdicts.get(want.unit) }, want.note).toMatchObject({
          unit: want.unit,
          verdict: want.verdict,
        });
      }
      const expected = scenario.expect?.alerts;
      if (expected) {
        for (const [unit, kinds] of out.alerts) {
          const wanted = [...new Set(expected.filter((a) => a.unit === unit).map((a) => a.kind))].sort();
          expect({ unit, kinds }).toEqual({ unit, kinds: wanted });
        }
      }
    },
    120_000,
  );
});
