/** The CLI's Terraform modules (terraform/service/, terraform/bootstrap/), parsed by the real HCL parser (@cdktf/hcl2json) and merged. */
import { parse } from "@cdktf/hcl2json";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { BOOTSTRAP_MODULE, SERVICE_MODULE } from "../../src/aws/terraform";

export const SERVICE_DIR = SERVICE_MODULE;
export const BOOTSTRAP_DIR = BOOTSTRAP_MODULE;
/** The deploy and plan roles' policies, as the bootstrap templates them. */
export const POLICIES_DIR = join(BOOTSTRAP_DIR, "policies");

/** block type -> label(s) -> list of bodies, as hcl2json gives them, merged across files. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- hcl2json output is free-form JSON; tests assert its shape
export type Hcl = Record<string, any>;

export async function loadInfra(dir = SERVICE_DIR): Promise<{ files: Record<string, Hcl>; merged: Hcl }> {
  const files: Record<string, Hcl> = {};
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".tf"))
    .sort()) {
    files[file] = (await parse(file, readFileSync(join(dir, file), "utf8"))) as Hcl;
  }
  const merged: Hcl = {};
  for (const parsed of Object.values(files)) {
    for (const [block, byLabel] of Object.entries(parsed)) {
      // `terraform` and `locals` blocks come as lists: concatenate them.
      if (Array.isArray(byLabel)) {
        merged[block] = [...(merged[block] ?? []), ...byLabel];
        continue;
      }
      merged[block] ??= {};
      for (const [label, value] of Object.entries(byLabel as Hcl)) {
        if (block === "resource" || block === "data") {
          merged[block][label] = { ...(merged[block][label] ?? {}), ...value };
        } else {
          merged[block][label] = value;
        }
      }
    }
  }
  return { files, merged };
}

/** Every `${...}` interpolation in a parsed value, with the path where it stands. */
export function interpolations(value: unknown, path = ""): { path: string; expression: string }[] {
  if (typeof value === "string") return [...value.matchAll(/\$\{([^}]*)\}/g)].map((m) => ({ path, expression: m[1]! }));
  if (Array.isArray(value)) return value.flatMap((v, i) => interpolations(v, `${path}[${i}]`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => interpolations(v, path ? `${path}.${k}` : k));
  return [];
}

/**
 * References (var., local., data., resource addresses) that name nothing the configuration declares,
 * and how many references there are in all.
 */
export function unresolvedReferences(merged: Hcl): { total: number; unresolved: { path: string; ref: string }[] } {
  const declared = new Set<string>([
    ...Object.keys(merged.variable ?? {}).map((v) => `var.${v}`),
    ...((merged.locals ?? []) as object[]).flatMap((block) => Object.keys(block).map((l) => `local.${l}`)),
    ...(Object.entries(merged.data ?? {}) as [string, object][]).flatMap(([type, byName]) => Object.keys(byName).map((n) => `data.${type}.${n}`)),
    ...(Object.entries(merged.resource ?? {}) as [string, object][]).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`)),
  ]);
  // The `from` of moved and removed blocks names what no longer exists, on purpose.
  const references = interpolations({ ...merged, moved: undefined, removed: undefined }).flatMap(({ path, expression }) =>
    [...expression.matchAll(/\b(var\.\w+|local\.\w+|data\.\w+\.\w+|(?<!data\.)(?:aws|random)_\w+\.\w+)/g)].map((m) => ({ path, ref: m[1]! })),
  );
  return { total: references.length, unresolved: references.filter(({ ref }) => !declared.has(ref)) };
}

/** Every `statement` of every aws_iam_policy_document data source, with the document's name. */
export function policyDocumentStatements(merged: Hcl): { document: string; statement: Hcl }[] {
  return Object.entries((merged.data?.aws_iam_policy_document ?? {}) as Record<string, Hcl[]>).flatMap(([document, [body]]) =>
    ((body?.statement ?? []) as Hcl[]).map((statement) => ({ document, statement })),
  );
}
