/**
 * Run in another revision's worktree (`node --import tsx exportContract.ts`, its root the working directory): prints,
 * as JSON, what `make test-compat` needs of that revision's app: its migrations (names and kinds), callers,
 * walkthrough and load mix, and its HTTP handler's module. It imports nothing of ours: the revision's own app and kit
 * are what it loads, resolved by the revision's own tsconfig.json.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

type Request = { as: string; method: string; path: string; status: number; [key: string]: unknown };
type Contract = {
  api: { migrations: { name: string; kind?: string }[] };
  callers: Record<string, unknown>;
  walkthrough: Request[];
  load: { setup: Request[]; reads: Request[]; create(n: number): { request: Request } };
};

const root = process.cwd();
const { contract } = require(join(root, "src", "app", "contract.ts")) as { contract: Contract };
const handlers = join(root, "src", "handlers");
const http = readdirSync(handlers)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
  .map((f) => join(handlers, f))
  .find((file) => (require(file) as { config?: { trigger?: { http?: boolean } } }).config?.trigger?.http);

process.stdout.write(
  JSON.stringify({
    migrations: contract.api.migrations.map(({ name, kind }) => ({ name, kind: kind ?? "expand" })),
    callers: contract.callers,
    walkthrough: contract.walkthrough,
    // Creates numbered far from a load run's, each sent once: a check never repeats a write the app refuses twice.
    load: { setup: contract.load.setup, reads: contract.load.reads, creates: Array.from({ length: 8 }, (_, k) => contract.load.create(900_000 + k).request) },
    httpHandler: http,
  }),
);
