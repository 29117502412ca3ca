/**
 * One DynamoDB Local per jest run (globalSetup/globalTeardown); each test file
 * creates its own table on it. Type checking runs separately (`make typecheck`),
 * so ts-jest only transpiles.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    // tsconfig.json resolves like a bundler for tsc; jest runs CommonJS, where import() becomes a lazy require.
    "^.+\\.ts$": ["ts-jest", { diagnostics: false, tsconfig: { module: "commonjs", moduleResolution: "node10" } }],
  },
  globalSetup: "<rootDir>/test/support/globalSetup.ts",
  globalTeardown: "<rootDir>/test/support/globalTeardown.ts",
  testTimeout: 60_000,
  // jest's default on 2 cores is 1 worker; most time is spent waiting on DynamoDB Local, so use both.
  maxWorkers: 2,
  reporters: ["default", "<rootDir>/test/support/summaryReporter.js"],
};
