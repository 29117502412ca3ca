/**
 * `make dev` in a scratch service made of the fixture app (its src/app and src/handlers, this repository's
 * configs, packages and node_modules): it serves the app; an edit to the app under src/ is served after a reload
 * without restarting DynamoDB Local; a type error is reported while the last good build keeps serving; Ctrl-C stops
 * what it started.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../src/local/dynamoDbLocal";
import { requestAuthorization } from "../../src/local/localIssuer";
import { isAlive } from "../../src/local/processes";
import { CLI_ROOT, loadContract, project } from "../../src/project";
import { TEMPLATE_ROOT } from "../support/env";
import { FIXTURE, FUNCTIONS } from "../support/functions";

const copy = mkdtempSync(join(tmpdir(), "dev-"));
const state = join(copy, ".local");
let devProcess: ChildProcess | undefined;
const lines: string[] = [];

/** Resolves with the first line (from now on) that matches. */
function nextLine(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  const from = lines.length;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(check);
      reject(new Error(`no line matching ${pattern} in ${timeoutMs} ms; got:\n${lines.slice(from).join("\n")}`));
    }, timeoutMs);
    const check = setInterval(() => {
      const found = lines.slice(from).find((l) => pattern.test(l));
      if (found) {
        clearTimeout(timer);
        clearInterval(check);
        resolve(found);
      }
    }, 50);
  });
}

beforeAll(() => {
  cpSync(FIXTURE.root, copy, { recursive: true });
  for (const file of ["package.json", "tsconfig.json"]) cpSync(join(TEMPLATE_ROOT, file), join(copy, file));
  symlinkSync(join(TEMPLATE_ROOT, "src", "kit"), join(copy, "src", "kit"));
  symlinkSync(join(TEMPLATE_ROOT, "node_modules"), join(copy, "node_modules"));
});

afterAll(() => {
  devProcess?.kill("SIGKILL");
  rmSync(copy, { recursive: true, force: true });
});

describe("make dev", () => {
  it("reloads an edited route on save, keeps DynamoDB Local, reports type errors and stops what it started on Ctrl-C", async () => {
    const apiPort = await freePort();
    devProcess = spawn(process.execPath, [join(CLI_ROOT, "bin", "starter.mjs"), "dev"], {
      cwd: copy,
      env: { ...process.env, LOCAL_STATE_DIR: state, LOCAL_API_PORT: String(apiPort), LOCAL_DYNAMODB_PORT: String(await freePort()) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [devProcess.stdout!, devProcess.stderr!]) stream.on("data", (chunk: Buffer) => lines.push(...chunk.toString().split("\n")));

    await nextLine(/^watching src\/ \(Ctrl-C stops the functions, the watchers and DynamoDB Local\)$/);
    // Every function runs under make dev, each on its first build.
    for (const f of FUNCTIONS) expect(lines.some((l) => l.startsWith(`${f.name}: reloaded in `))).toBe(true);
    const dynamoPid = Number(readFileSync(join(state, "dynamodb.pid"), "utf8"));
    const authorization = await requestAuthorization(join(state, "issuer"), loadContract(project(copy)));
    const nowhere = "00000000-0000-4000-8000-000000000000";
    const missingVenue = async () => {
      const response = await fetch(`http://127.0.0.1:${apiPort}/venues/${nowhere}/events`, {
        method: "POST",
        headers: { ...authorization({ as: "organizer", method: "POST", path: "/", status: 404 }), "content-type": "application/json" },
        body: JSON.stringify({ name: "Nowhere", startsAt: "2031-05-01T19:30:00.000Z" }),
      });
      return { status: response.status, body: (await response.json()) as { error: { message: string } } };
    };
    expect(await missingVenue()).toMatchObject({ status: 404, body: { error: { message: `venue ${nowhere} does not exist` } } });

    // An edit to the app: served after the reload, by the same DynamoDB Local.
    const errors = join(copy, "src/app/service.ts");
    const http = FUNCTIONS.find((f) => f.kind === "http")!.name;
    const reloaded = nextLine(new RegExp(`^${http}: reloaded in \\d+ ms \\(build \\d+ ms\\), serving http:`));
    writeFileSync(errors, readFileSync(errors, "utf8").replace("does not exist", "is nowhere to be found"));
    process.stdout.write(`make dev after a save: ${await reloaded}\n`);
    expect(await missingVenue()).toMatchObject({ status: 404, body: { error: { message: `venue ${nowhere} is nowhere to be found` } } });
    expect(Number(readFileSync(join(state, "dynamodb.pid"), "utf8"))).toBe(dynamoPid);
    expect(isAlive(dynamoPid)).toBe(true);

    // A type error: reported with its file, while esbuild (which strips types) still builds and serves.
    const typeError = nextLine(/^type error: src\/app\/service\.ts/);
    writeFileSync(errors, readFileSync(errors, "utf8") + "\nexport const broken: number = 'not a number';\n");
    await typeError;
    expect((await missingVenue()).status).toBe(404);

    // Ctrl-C: the functions, the watchers and the DynamoDB Local it started stop; the data stays.
    const exited = new Promise<number | null>((resolve) => devProcess!.once("exit", resolve));
    devProcess.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(isAlive(dynamoPid)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${apiPort}/health`)).rejects.toThrow();
  }, 180_000);
});
