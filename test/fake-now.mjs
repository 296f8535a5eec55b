/**
 * For audits, not for CI: makes this Node process's wall clock start at `COLDTRAIL_FAKE_NOW` (an ISO
 * time) and run on from there, so that a test can be tried at a dangerous moment (just before
 * midnight in Berlin, a DST change, a month's end) without faketime:
 *
 *   COLDTRAIL_FAKE_NOW=2027-03-27T22:59:40Z TZ=Europe/Berlin \
 *     NODE_OPTIONS="--import $PWD/test/fake-now.mjs" npx vitest run <files>
 *
 * Plain JavaScript, so that it loads without tsx everywhere Node starts (worker threads too).
 *
 * The first process computes the shift and every process it starts inherits it (vitest workers,
 * server processes, worker threads). The browser pages of dashboard/test/browser-kit.ts follow it
 * (their clock is installed at the worker's time) when the moment is later than the real now: pick
 * tomorrow's midnight, not last night's (with a moment in the past the pages were seen keeping the
 * real time). PostgreSQL and InfluxDB keep the real time: add COLDTRAIL_SKIP_POSTGRES=1 and
 * COLDTRAIL_SKIP_INFLUX=1 unless the test does not compare their clocks with ours.
 */
const target = Date.parse(process.env.COLDTRAIL_FAKE_NOW ?? "");
if (!Number.isNaN(target)) {
  const RealDate = globalThis.Date;
  const realNow = RealDate.now.bind(RealDate);
  // One shift for the whole run: the first process computes it and its children (vitest workers,
  // server processes, worker threads) inherit it, so their clocks agree with each other.
  const inherited = process.env.COLDTRAIL_FAKE_SHIFT_MS;
  const shiftMs = inherited ? Number(inherited) : target - realNow();
  process.env.COLDTRAIL_FAKE_SHIFT_MS = String(shiftMs);
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(realNow() + shiftMs);
      else super(...args);
    }
    static now() {
      return realNow() + shiftMs;
    }
  }
  globalThis.Date = ShiftedDate;
}
