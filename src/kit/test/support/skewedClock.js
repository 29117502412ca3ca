/**
 * Preloaded with `node --require` into a child process: shifts its wall clock
 * by CLOCK_SKEW_MS (Date.now() and new Date()), as a machine whose clock
 * disagrees with the others would. The monotonic clock is left alone.
 */
const skew = Number(process.env.CLOCK_SKEW_MS || 0);
const RealDate = Date;
const realNow = RealDate.now.bind(RealDate);
class SkewedDate extends RealDate {
  constructor(...args) {
    super(...(args.length === 0 ? [realNow() + skew] : args));
  }
  static now() {
    return realNow() + skew;
  }
}
globalThis.Date = SkewedDate;
