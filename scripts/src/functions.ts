/**
 * The functions of a service: every module in its src/handlers/, with the
 * `config` it exports (defineFunction, from the kit's runtime entry). Read by
 * the build, Terraform's variables, the bootstrap's roles, the permission
 * check and the local deployment, so that adding a module is all it takes to
 * add a function.
 */
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { ConfigError, LOG_LEVELS } from "@dynamodb-starter/kit/runtime";
import type { FunctionConfig, ScheduleTrigger, StreamTrigger } from "@dynamodb-starter/kit/runtime";
import { project, type Project } from "./project";

/** A handler's name is its file name: it names the function (<deployment>-<name>), its role, zip and log group. */
const NAME = /^[a-z][a-zA-Z0-9]{0,39}$/;
/** Names taken: the deployment's GitHub roles (<deployment>-deploy, -plan, -drill) and its backfill worker (<deployment>-backfill). */
const RESERVED = new Set(["deploy", "plan", "drill", "backfill"]);

export interface FunctionSpec {
  name: string;
  /** The handler module (src/handlers/<name>.ts). */
  file: string;
  config: FunctionConfig;
  kind: "http" | "stream" | "schedule";
}

/** The functions of project `p`, from its handlers folder (or `dir`, a folder laid out the same way). */
export function loadFunctions(p: Project = project(), dir = p.handlersDir): FunctionSpec[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .sort();
  const functions = files.map((f) => loadOne(join(dir, f), p.root));
  const http = functions.filter((f) => f.kind === "http");
  if (http.length !== 1) {
    throw new ConfigError(
      `${relative(p.root, dir)} must hold exactly one HTTP handler (trigger: { http: true }), the API's; found ${http.length}` +
        (http.length ? `: ${http.map((f) => f.name).join(", ")}` : ""),
    );
  }
  return functions;
}

function loadOne(file: string, root: string): FunctionSpec {
  const name = file.slice(file.lastIndexOf("/") + 1, -".ts".length);
  const where = relative(root, file);
  if (!NAME.test(name) || RESERVED.has(name)) {
    throw new ConfigError(
      `${where}: a handler's file name names its function, so it must be camelCase letters and digits (at most 40), and not "deploy", "plan", "drill" or "backfill" (the GitHub roles' and the backfill worker's names)`,
    );
  }
  const module = require(file) as { handler?: unknown; config?: FunctionConfig };
  if (typeof module.handler !== "function" || !module.config || typeof module.config !== "object") {
    throw new ConfigError(`${where} must export a \`handler\` function and a \`config\` (defineFunction, from "@dynamodb-starter/kit/runtime")`);
  }
  return { name, file, config: module.config, kind: kindOf(where, module.config) };
}

/** Checks a handler module's `config` (`where` names the module in the error) and says which kind of function it makes. */
export function kindOf(where: string, config: FunctionConfig): FunctionSpec["kind"] {
  const trigger = config.trigger as Partial<{ http: true; stream: StreamTrigger; schedule: ScheduleTrigger }>;
  const kinds = (["http", "stream", "schedule"] as const).filter((k) => trigger?.[k] !== undefined);
  if (kinds.length !== 1) throw new ConfigError(`${where}: config.trigger must be exactly one of { http: true }, { stream: {...} }, { schedule: {...} }`);
  if (kinds[0] === "schedule" && !/^(rate|cron|at)\(.+\)$/.test(trigger.schedule!.expression)) {
    throw new ConfigError(`${where}: the schedule expression "${trigger.schedule!.expression}" is not rate(...), cron(...) or at(...)`);
  }
  if (kinds[0] !== "http" && config.timeoutSeconds !== undefined && (config.timeoutSeconds < 1 || config.timeoutSeconds > 900)) {
    throw new ConfigError(`${where}: timeoutSeconds must be between 1 and 900`);
  }
  if (config.logLevel !== undefined && !LOG_LEVELS.includes(config.logLevel)) {
    throw new ConfigError(`${where}: logLevel "${String(config.logLevel)}" is not one of ${LOG_LEVELS.join(", ")}`);
  }
  return kinds[0]!;
}

export const httpFunction = (functions: readonly FunctionSpec[]) => functions.find((f) => f.kind === "http")!;
/** Whether any function reads the table's stream: the pre-step then declares it (NEW_AND_OLD_IMAGES). */
export const needsStream = (functions: readonly FunctionSpec[]) => functions.some((f) => f.kind === "stream");
