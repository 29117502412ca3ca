/**
 * The command line of the starter, `starter <command> [options]`: one command
 * per make target (the Makefile passes its variables as options). Each
 * command's module is loaded only when it runs, so `starter token` does not
 * load esbuild. An error is printed as one line with the command that fixes
 * it (cli.ts), and the exit code is 1.
 */
import { describeError } from "./cli";

type Command = { what: string; run: (argv: string[]) => Promise<unknown> };

/**
 * A command's module, loaded when it runs. require, not import(): the bin registers tsx for CommonJS, and a dynamic
 * import() would leave for Node's ESM loader, which does not read TypeScript.
 */
const load = <T>(module: string): T => require(module) as T;

const deploy = (verb: string) => async (argv: string[]) => load<typeof import("./pipeline/deploy")>("./pipeline/deploy").main([verb, ...argv]);

export const COMMANDS: Record<string, Command> = {
  build: { what: "bundle every function (each module of src/handlers/)", run: async (argv) => load<typeof import("./build")>("./build").main(argv) },
  deploy: { what: "deploy a deployment (the local one by default)", run: deploy("deploy") },
  plan: { what: "what terraform would change for an AWS deployment", run: deploy("plan") },
  rollback: { what: "back to the previous release, unless a contract migration ran since", run: deploy("rollback") },
  destroy: { what: "tear a deployment down", run: deploy("destroy") },
  logs: { what: "follow a deployment's logs", run: deploy("logs") },
  invoke: { what: "run a scheduled job of the local deployment now", run: deploy("invoke") },
  dev: { what: "the local deployment, reloaded on every save", run: async () => load<typeof import("./local/dev")>("./local/dev").main() },
  ui: { what: "dynamodb-admin on the local deployment's table", run: async () => load<typeof import("./local/ui")>("./local/ui").main() },
  token: { what: "a bearer token of the local deployment's issuer", run: async (argv) => load<typeof import("./local/token")>("./local/token").main(argv) },
  stack: { what: "map a logged stack trace back to the sources", run: async (argv) => load<typeof import("./stack")>("./stack").main(argv) },
  seed: { what: "import seed data into a deployment's table", run: async (argv) => load<typeof import("./seed")>("./seed").main(argv) },
  migration: { what: "write the next migration", run: async (argv) => load<typeof import("./newMigration")>("./newMigration").main(argv) },
  migrate: {
    what: "migration status, up, down, unlock, catch-up",
    run: async (argv) => load<typeof import("./pipeline/migrate")>("./pipeline/migrate").main(argv),
  },
  bootstrap: {
    what: "once per AWS account: the bootstrap's Terraform",
    run: async (argv) => load<typeof import("./aws/bootstrap")>("./aws/bootstrap").main(argv),
  },
  "test-compat": {
    what: "the previous release on this revision's table, and this revision on the previous release's data",
    run: async (argv) => load<typeof import("./compat/compat")>("./compat/compat").main(argv),
  },
  upgrade: { what: "take a newer template's packages and glue", run: async (argv) => load<typeof import("./upgrade")>("./upgrade").main(argv) },
  openapi: { what: "write openapi.json from the routes' declarations", run: async (argv) => load<typeof import("./openapi")>("./openapi").main(argv) },
  bench: { what: "measure and write bench/results.json", run: async (argv) => load<typeof import("./measure/bench")>("./measure/bench").main(argv) },
  load: { what: "load-test an isolated local stack", run: async () => load<typeof import("./measure/load")>("./measure/load").main() },
  "restore-drill": {
    what: "restore the table into a scratch table, check it serves, time it, delete it",
    run: async (argv) => load<typeof import("./drill/restoreDrill")>("./drill/restoreDrill").main(argv),
  },
  cost: {
    what: "cost per million requests by route, measured; writes bench/cost.json",
    run: async (argv) => load<typeof import("./measure/cost")>("./measure/cost").main(argv),
  },
  terraform: {
    what: "assemble a deployment's Terraform root and run terraform in it",
    run: async (argv) => load<typeof import("./aws/terraformCommand")>("./aws/terraformCommand").main(argv),
  },
};

/** Runs `argv[0]` with the rest; prints the commands when it is missing or unknown. */
export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    const list = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.what}`);
    console.error(`${name ? `unknown command "${name}"\n` : ""}usage: starter <command> [options]\n${list.join("\n")}`);
    process.exitCode = 2;
    return;
  }
  try {
    await command.run(rest);
  } catch (error) {
    console.error(`${name}: ${describeError(error)}`);
    process.exit(1); // now: a failed command may leave sockets or child processes that would keep it running
  }
}
