/**
 * Bench (not part of `npm test`): the verdict of a batch with a year of one-minute readings
 * (525 600) in one home freezer, with noise and a door opening every 3 hours.
 * Run: `npx tsx server/src/rules/engine.bench.ts`. Prints the median of several runs in ms.
 */
import { cpus } from "node:os";
import { computeVerdict } from "./engine.js";
import { PROFILES } from "./profiles/registry.js";
import { DAY_MS, HOUR_MS, MINUTE_MS, noise, series } from "./synthetic-readings.js";

const T0 = Date.UTC(2025, 4, 1);
const END = T0 + 365 * DAY_MS;
const readings = series(T0, END, MINUTE_MS, (t) =>
  (t - T0) % (3 * HOUR_MS) < 3 * MINUTE_MS ? -6 : -20 + noise(t, 0.4),
);

const RUNS = 9;
const times: number[] = [];
let verdict = "";
for (let i = 0; i < RUNS; i++) {
  const start = performance.now();
  const r = computeVerdict(
    {
      expressedAtMs: T0 - DAY_MS,
      initialState: "frozen",
      custody: [
        {
          unitId: "bench",
          unitKind: "freezer",
          profile: PROFILES["home-freezer"],
          fromMs: T0,
          toMs: null,
          readings,
          expectedIntervalMs: MINUTE_MS,
        },
      ],
    },
    END,
  );
  times.push(performance.now() - start);
  if (!r.ok) throw new Error(r.reason);
  verdict = `${r.verdict.verdict} [${r.verdict.reasons.map((x) => x.code).join(", ")}]`;
}
times.sort((a, b) => a - b);
const median = times[Math.floor(RUNS / 2)] as number;
console.log(
  JSON.stringify({
    bench: "rules/computeVerdict, 1 year of 1-minute readings",
    readings: readings.length,
    runs: RUNS,
    medianMs: Math.round(median * 10) / 10,
    minMs: Math.round((times[0] as number) * 10) / 10,
    maxMs: Math.round((times[RUNS - 1] as number) * 10) / 10,
    verdict,
    machine: `${cpus()[0]?.model ?? "unknown"} × ${cpus().length}, Node ${process.version}`,
  }),
);
