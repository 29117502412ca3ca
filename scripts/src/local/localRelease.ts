/**
 * Releases of the local deployment, as on AWS: each deploy's build is kept as a release of its own
 * (.local/releases/<id>/), and a deploy over a running API moves traffic to it gradually. The new build first answers
 * the contract's smoke requests in a process of its own (the pre-traffic check); then the local API, which keeps
 * serving throughout, sends it a share of the requests for a while, beside the previous build; a 5xx or a crash of
 * the new build in that window sends every request back to the previous one, and the deploy says what happened.
 * Otherwise the new build takes all requests. `make rollback` points the API back at an earlier release.
 */
import { appendFileSync, cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { AppContract } from "@dynamodb-starter/kit/contract";
import { preTrafficCheck, ReleaseError } from "../aws/release";
import type { LocalDeployment } from "../deployments";
import type { FunctionSpec } from "../functions";
import { BuiltFunction } from "./builtFunction";
import type { ReleaseEvent, RoutedRelease } from "./localApi";

/** How many releases stay on disk for `make rollback` (and any the API still routes to). */
export const KEPT_RELEASES = 5;

export function releasePaths(d: LocalDeployment) {
  return {
    releases: join(d.stateDir, "releases"),
    /** The API's routing: which releases take what share of the requests (localApi.ts reads it on every change). */
    routing: join(d.stateDir, "api-routing.json"),
    /** What the API reports of its releases: ready, 5xx, crash. */
    events: join(d.stateDir, "api-events.jsonl"),
  };
}

/** A release's folder: one built function per folder inside, each with its index.mjs. */
export const releaseDir = (d: LocalDeployment, id: string) => join(releasePaths(d).releases, id);

/** Copies this deploy's builds into a new release; running functions keep theirs, so no build is swapped under them. */
export function stageRelease(d: LocalDeployment, functions: readonly FunctionSpec[]): string {
  const id = randomUUID().slice(0, 8);
  for (const f of functions) cpSync(join(d.buildDir, f.name), join(releaseDir(d, id), f.name), { recursive: true });
  return id;
}

export function readRouting(d: LocalDeployment): RoutedRelease[] {
  const file = releasePaths(d).routing;
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { releases: RoutedRelease[] }).releases : [];
}

export function writeRouting(d: LocalDeployment, releases: RoutedRelease[]): void {
  writeFileSync(releasePaths(d).routing, `${JSON.stringify({ releases }, null, 2)}\n`);
}

/** The release the API serves alone (the one with all the weight), if any. */
export const servedRelease = (d: LocalDeployment): RoutedRelease | undefined => readRouting(d).find((r) => r.weight === 1);

/** Removes all but the newest releases on disk, never one the API routes to. */
export function pruneReleases(d: LocalDeployment): void {
  const { releases } = releasePaths(d);
  if (!existsSync(releases)) return;
  const routed = new Set(readRouting(d).map((r) => r.id));
  const byAge = readdirSync(releases)
    .map((id) => ({ id, at: statSync(join(releases, id)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { id } of byAge.slice(KEPT_RELEASES)) if (!routed.has(id)) rmSync(join(releases, id), { recursive: true, force: true });
}

/** The new build of the HTTP function answers the contract's smoke requests, on the deployment's table, before any request reaches it. */
export async function localPreTrafficCheck(
  handler: string,
  env: NodeJS.ProcessEnv,
  contract: Pick<AppContract, "walkthrough" | "callers">,
  log: (line: string) => void,
): Promise<void> {
  const built = new BuiltFunction(handler, env);
  try {
    await preTrafficCheck(async (event) => ({ statusCode: (await built.send(event)).statusCode }), "the new build", contract, log);
  } finally {
    built.stop();
  }
}

/** Reads the API's events after `offset` bytes. */
function eventsSince(file: string, offset: number): ReleaseEvent[] {
  if (!existsSync(file)) return [];
  return readFileSync(file)
    .subarray(offset)
    .toString("utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ReleaseEvent);
}

/**
 * Moves the running API from release `from` to `to`: a share of the requests for the deployment's window, then all.
 * Throws, having sent every request back to `from`, when `to` answers a 5xx or crashes meanwhile.
 */
export async function shiftApi(d: LocalDeployment, from: RoutedRelease, to: RoutedRelease, log: (line: string) => void, pollMs = 100): Promise<void> {
  const { events } = releasePaths(d);
  if (!existsSync(events)) appendFileSync(events, "");
  const offset = statSync(events).size;
  const { share, seconds } = d.shift;
  writeRouting(d, [
    { ...from, weight: 1 - share },
    { ...to, weight: share },
  ]);
  log(`  local shift: ${Math.round(share * 100)}% of the API's requests on release ${to.id} for ${seconds} s, the rest on ${from.id}`);
  const started = Date.now();
  let ready = false;
  let reported = -1;
  for (;;) {
    const seen = eventsSince(events, offset).filter((e) => e.release === to.id);
    ready ||= seen.some((e) => e.kind === "ready");
    const failure = seen.find((e) => e.kind === "5xx" || e.kind === "crash");
    if (failure) {
      writeRouting(d, [{ ...from, weight: 1 }]);
      const what = failure.kind === "crash" ? `crashed (${failure.message})` : `answered ${failure.status} to ${failure.route} (request ${failure.requestId})`;
      throw new ReleaseError(
        `the new build ${what}: rolled back, release ${from.id} serves every request again and the new build none. ` +
          `Contract migrations and the catch-up did not run. Its log: ${join(d.stateDir, "api.log")}.`,
      );
    }
    const elapsed = (Date.now() - started) / 1000;
    if (!ready && elapsed > 30) {
      writeRouting(d, [{ ...from, weight: 1 }]);
      throw new ReleaseError(`the new build did not start within 30 s: rolled back to release ${from.id}. See ${join(d.stateDir, "api.log")}.`);
    }
    if (ready && elapsed >= seconds) break;
    const left = Math.max(0, Math.ceil(seconds - elapsed));
    if (ready && left !== reported && left % 5 === 0) {
      reported = left;
      log(`  local shift: ${Math.round(share * 100)}% on ${to.id}, ${left} s left`);
    }
    await sleep(pollMs);
  }
  writeRouting(d, [{ ...to, weight: 1 }]);
  log(`  local shift: all requests on release ${to.id}`);
}
