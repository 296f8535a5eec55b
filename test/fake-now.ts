/**
 * For audits, not for CI: makes this Node process's wall clock start at `COLDTRAIL_FAKE_NOW` (an ISO
 * time) and run on from there, so that a test can be tried at a dangerous moment (just before
 * midnight in Berlin, a DST change, a month's end) without faketime:
 *
 *   COLDTRAIL_FAKE_NOW=2027-03-27T22:59:40Z TZ=Europe/Berlin \
 *     NODE_OPTIONS="--import tsx --import $PWD/test/fake-now.ts" node node_modules/vitest/vitest.mjs run <files>
 *
 * (through node, not npx: npm itself does not start under the shift).
 *
 * Every vitest worker (and every server process a test starts) gets the same shift at its start;
 * the browser pages of dashboard/test/browser-kit.ts follow it (their clock is installed at the
 * worker's time) when the moment is later than the real now: pick tomorrow's midnight, not last
 * night's (with a moment in the past the pages were seen keeping the real time). PostgreSQL and InfluxDB keep the real time: combine with COLDTRAIL_SKIP_POSTGRES=1
 * and COLDTRAIL_SKIP_INFLUX=1 unless the test does not compare their clocks with ours.
 */
const target = Date.parse(process.env.COLDTRAIL_FAKE_NOW ?? "");
if (!Number.isNaN(target)) {
  const RealDate = globalThis.Date;
  const realNow = RealDate.now.bind(RealDate);
  const shiftMs = target - realNow();
  class ShiftedDate extends RealDate {
    constructor(...args: ConstructorParameters<DateConstructor> | []) {
      if (args.length === 0) super(realNow() + shiftMs);
      else super(...(args as ConstructorParameters<DateConstructor>));
    }
    static override now(): number {
      return realNow() + shiftMs;
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
}
