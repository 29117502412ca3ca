// Lint for `make test` (zero warnings). Besides typescript-eslint's recommended rules, it holds the
// architecture's import rules: the library never imports the app, migrations import only the library,
// src/ never imports scripts/, and library tests never reach the example app.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** An import rule: `regex` on the import string, with the reason shown in the error. */
const forbid = (regex, message) => ({ regex, message });

const NO_SCRIPTS = forbid(
  String.raw`^(\.\./)+scripts(/|$)`,
  "src/ never imports scripts/: the deploy pipeline, CLIs and local tooling stay out of the Lambda.",
);
const NO_APP = forbid(
  String.raw`^(\.\./)+(src/)?(app|handlers)(/|$)`,
  "The library never imports the app (src/app) or the handler that wires it: teams replace the app and keep the library.",
);

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "coverage/", ".local/", "bench/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { console: "readonly", process: "readonly", require: "readonly", module: "writable", __dirname: "readonly", Buffer: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      // CommonJS scripts (jest reporter) and require() inside jest.isolateModules are deliberate.
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  {
    files: ["src/lib/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [NO_APP, NO_SCRIPTS] }] },
  },
  {
    files: ["src/app/**/*.ts", "src/handlers/**/*.ts"],
    ignores: ["src/app/migrations/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [NO_SCRIPTS] }] },
  },
  {
    // A migration is frozen history: it imports packages and the library, never live app code.
    files: ["src/app/migrations/[0-9]*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            forbid(
              String.raw`^\.(?!\./\.\./lib$)`,
              'A migration imports only the library ("../../lib") and packages; copy the constants it needs from the model into it.',
            ),
          ],
        },
      ],
    },
  },
  {
    files: ["test/lib/**/*.ts", "test/support/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            forbid(
              String.raw`(^|/)(src/)?(app|handlers)(/|$)`,
              "Library tests bring their own tables, migrations and routes: they must pass with the app replaced.",
            ),
          ],
        },
      ],
    },
  },
  {
    // Scripts learn what they need about the app from its contract alone.
    files: ["scripts/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [forbid(String.raw`^(\.\./)+src/(app/(?!contract$)|handlers)`, "Scripts read the app through src/app/contract.ts only.")] },
      ],
    },
  },
);
