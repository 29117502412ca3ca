/**
 * `make stack`: maps a stack trace logged by the function (frames in
 * /var/task/index.mjs or /var/task/chunks/*.mjs) back to src/ with the source
 * maps of the build in dist/<handler>/, the same files the zip ships. The
 * function runs without --enable-source-maps, which costs every cold start a
 * third more module load (make bench); its stacks are mapped here instead.
 *
 *   make stack < stack.txt      (or paste the stack, then Ctrl-D)
 */
import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { join, relative, resolve } from "node:path";
import { httpFunction, loadFunctions } from "./functions";
import { project, type Project } from "./project";

/** Each frame whose file is in the bundle, rewritten to the source position it came from; other lines as they are. */
export function mapStack(stack: string, bundleDir = join(project().distDir, httpFunction(loadFunctions()).name), root = project().root): string {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (file: string) => {
    if (!maps.has(file)) {
      const path = join(bundleDir, `${file}.map`);
      maps.set(file, existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, "utf8"))) : undefined);
    }
    return maps.get(file);
  };
  return stack.replace(/(?:file:\/\/)?\/var\/task\/([\w./-]+\.mjs):(\d+):(\d+)/g, (frame, file: string, line: string, column: string) => {
    if (Number(line) < 1 || Number(column) < 1) return frame; // positions are 1-based: nothing to map
    const entry = mapOf(file)?.findEntry(Number(line) - 1, Number(column) - 1);
    if (!entry || !("originalSource" in entry) || !entry.originalSource) return frame;
    const source = relative(root, resolve(bundleDir, entry.originalSource));
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

/** `make stack [NAME=function] < stack.txt`: a function other than the HTTP API's by NAME. */
export async function main([name]: string[], p: Project = project()): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const bundleDir = join(p.distDir, name ?? httpFunction(loadFunctions(p)).name);
  process.stdout.write(mapStack(Buffer.concat(chunks).toString("utf8"), bundleDir, p.root));
}
