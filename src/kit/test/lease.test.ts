import { heldLease, versionWatch } from "../src/migrations/lease";

/** A clock the test moves by hand: the lease's decisions must follow it alone. */
function fakeClock(start = 1_000) {
  let t = start;
  return { clock: () => t, advance: (ms: number) => void (t += ms) };
}

describe("a waiter's watch of the holder's version", () => {
  it("calls a version stale only after it stood still for a whole lease, timed from when this process first saw it", () => {
    const { clock, advance } = fakeClock();
    const watch = versionWatch(clock);
    expect(watch.isStale("v1", 3_000)).toBe(false); // first seen now
    advance(2_999);
    expect(watch.isStale("v1", 3_000)).toBe(false);
    expect(watch.msUntilStale(3_000)).toBe(1);
    advance(1);
    expect(watch.isStale("v1", 3_000)).toBe(true);
  });

  it("starts over whenever the holder's version moves: a live holder is never taken over, however slow its heartbeats look", () => {
    const { clock, advance } = fakeClock();
    const watch = versionWatch(clock);
    for (let i = 0; i < 100; i++) {
      expect(watch.isStale(`v${i}`, 3_000)).toBe(false);
      advance(2_900);
    }
    watch.forget();
    expect(watch.msUntilStale(3_000)).toBeUndefined();
  });
});

describe("a holder's own lease", () => {
  it("holds from the moment its last successful write was sent, and is lost once a whole lease passed without one", () => {
    const { clock, advance } = fakeClock();
    const lease = heldLease(3_000, clock);
    expect(lease.current()).toBeUndefined();
    const sent = clock();
    advance(500); // the write took 500 ms: the lease runs from when it was sent, not from its answer
    lease.renewed("v1", sent);
    advance(2_499);
    expect(lease.current()).toEqual({ rvn: "v1" });
    advance(1);
    expect(lease.current()).toBeUndefined();
    expect(lease.state).toEqual({ kind: "lost", why: "no heartbeat succeeded for a whole lease" });
  });

  it("is renewed by each heartbeat, and stays released or lost until taken again", () => {
    const { clock, advance } = fakeClock();
    const lease = heldLease(3_000, clock);
    lease.renewed("v1", clock());
    advance(2_000);
    lease.renewed("v2", clock());
    advance(2_000);
    expect(lease.current()).toEqual({ rvn: "v2" });
    lease.lose("another process holds it now");
    expect(lease.current()).toBeUndefined();
    lease.release();
    expect(lease.state).toEqual({ kind: "released" });
    lease.renewed("v3", clock());
    expect(lease.current()).toEqual({ rvn: "v3" });
  });
});
