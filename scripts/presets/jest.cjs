/**
 * Jest for a service built on the starter: one DynamoDB Local per run (the CLI starts it and gives its endpoint to
 * every test file), ts-jest transpiling only (the type check is tsc's), passing tests quiet, and a one-line summary.
 *
 *   // jest.config.js, the service's: its own tests (test/) and the wiring checks of its contract
 *   module.exports = require("@dynamodb-starter/cli/presets/jest").service(__dirname);
 *
 * Where the kit is a folder of the repository (src/kit, as in a clone of the template), it resolves to its TypeScript
 * sources; installed from a registry, to its build.
 */
const { existsSync, realpathSync } = require("node:fs");
const { dirname, join } = require("node:path");

/** This package's folder, as the file system has it (a workspace's is a symlink in node_modules). */
const CLI = realpathSync(dirname(__dirname));

/** What every configuration shares: the transform, DynamoDB Local, the quiet environment, the kit's sources if here. */
function base(rootDir) {
  const kitSources = join(rootDir, "src", "kit", "src");
  return {
    rootDir,
    testEnvironment: join(CLI, "src", "jest", "quietEnvironment.ts"),
    testMatch: ["**/*.test.ts"],
    transform: {
      // tsconfig resolves like a bundler for tsc; jest runs CommonJS, where import() becomes a lazy require.
      "^.+\\.ts$": [require.resolve("ts-jest"), { diagnostics: false, tsconfig: { module: "commonjs", moduleResolution: "node10" } }],
    },
    moduleNameMapper: existsSync(kitSources) ? { "^@dynamodb-starter/kit/(runtime|migrations|ops|contract|testing)$": `${kitSources}/$1.ts` } : {},
    globalSetup: join(CLI, "src", "jest", "globalSetup.cjs"),
    globalTeardown: join(CLI, "src", "jest", "globalTeardown.cjs"),
    testTimeout: 60_000,
    // Most of a test's time is spent waiting on DynamoDB Local or a child process: three workers on two cores finish
    // sooner than two; jest's default on 2 cores would be one.
    maxWorkers: 3,
    reporters: ["default", join(CLI, "src", "jest", "summaryReporter.cjs")],
  };
}

/** A service's own tests (test/) and the checks this package runs against its contract (checks/). */
function service(rootDir) {
  return { ...base(rootDir), roots: [join(rootDir, "test"), join(CLI, "checks")] };
}

/** A package's own suite, in `dir` (its test/ folder), run from the repository at `rootDir`. */
function suite(rootDir, dir) {
  return { ...base(rootDir), roots: [dir] };
}

module.exports = { base, service, suite, CLI };
