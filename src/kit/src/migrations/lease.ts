/**
 * The two decisions a lease lock makes, as small state machines on an
 * injectable monotonic clock, with no request and no wall-clock time in them
 * (migrationLock.ts does the requests):
 *
 * - A waiter's watch of the holder's record version: the version is stale,
 *   and may be taken over, once it has stood still for the holder's whole
 *   lease, timed from when *this* process first saw it.
 * - A holder's own lease: `held` from a successful write until no heartbeat
 *   has succeeded for a whole lease (counted from when the last successful
 *   one was sent), then `lost`; or `released`.
 */

/** Milliseconds on a clock that only moves forward (performance.now by default); never compared across processes. */
export type Clock = () => number;

export const monotonic: Clock = () => performance.now();

/** A waiter's view of another holder's record version. */
export function versionWatch(clock: Clock = monotonic) {
  let watched: { rvn: string; since: number } | undefined;
  return {
    /** Notes `rvn` (a new one restarts the watch); true once it has not changed for `leaseMs` on our clock. */
    isStale(rvn: string, leaseMs: number): boolean {
      if (watched?.rvn !== rvn) {
        watched = { rvn, since: clock() };
        return false;
      }
      return clock() - watched.since >= leaseMs;
    },
    /** How long until the watched version would count as stale; undefined while nothing is watched. */
    msUntilStale(leaseMs: number): number | undefined {
      return watched ? Math.max(0, watched.since + leaseMs - clock()) : undefined;
    },
    forget(): void {
      watched = undefined;
    },
  };
}

export type LeaseState = { kind: "free" } | { kind: "held"; rvn: string; renewedAt: number } | { kind: "lost"; why: string } | { kind: "released" };

/** A holder's own lease: what it holds, since when by its own clock, and whether it still may act on it. */
export function heldLease(leaseMs: number, clock: Clock = monotonic) {
  let state: LeaseState = { kind: "free" };
  return {
    get state(): LeaseState {
      return state;
    },
    /** A write that set `rvn`, sent at `sentAt` (our clock), succeeded: the lease runs from then. */
    renewed(rvn: string, sentAt: number): void {
      state = { kind: "held", rvn, renewedAt: sentAt };
    },
    /** The version held, while the lease still counts by our clock; moves to `lost` once it does not. */
    current(): { rvn: string } | undefined {
      if (state.kind === "held" && clock() - state.renewedAt >= leaseMs) state = { kind: "lost", why: "no heartbeat succeeded for a whole lease" };
      return state.kind === "held" ? { rvn: state.rvn } : undefined;
    },
    lose(why: string): void {
      if (state.kind === "held" || state.kind === "free") state = { kind: "lost", why };
    },
    release(): void {
      state = { kind: "released" };
    },
  };
}
