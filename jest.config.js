/**
 * One DynamoDB Local per jest run (globalSetup/globalTeardown); each test file
 * creates its own table on it. Type checking runs separately (`make typecheck`),
 * so ts-jest only transpiles.
 */
/** @type {import('jest').Config} */
module.exports = {
  // Node's environment, holding what a test logs until it fails: passing tests are quiet.
  testEnvironment: "<rootDir>/src/kit/src/testing/jestQuietEnvironment.ts",
  roots: ["<rootDir>/test", "<rootDir>/src/kit/test"],
  // The kit by its package name, from its TypeScript source (as tsconfig.json's "paths" says for tsc and esbuild).
  moduleNameMapper: { "^@dynamodb-starter/kit/(runtime|migrations|ops|testing|contract)$": "<rootDir>/src/kit/src/$1.ts" },
  testMatch: ["**/*.test.ts"],
  transform: {
    // tsconfig.json resolves like a bundler for tsc; jest runs CommonJS, where import() becomes a lazy require.
    "^.+\\.ts$": ["ts-jest", { diagnostics: false, tsconfig: { module: "commonjs", moduleResolution: "node10" } }],
  },
  globalSetup: "<rootDir>/src/kit/src/testing/jestGlobalSetup.ts",
  globalTeardown: "<rootDir>/src/kit/src/testing/jestGlobalTeardown.ts",
  testTimeout: 60_000,
  // Most of a test's time is spent waiting on DynamoDB Local or a child process: three workers on two cores
  // finish the suite sooner than two (73 s against 79 s, measured); jest's default on 2 cores would be one.
  maxWorkers: 3,
  reporters: ["default", "<rootDir>/test/support/summaryReporter.js"],
};
