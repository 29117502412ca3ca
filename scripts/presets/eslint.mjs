// Lint for `make test` (zero warnings). Besides typescript-eslint's recommended rules, it holds the architecture's
// import rules: the kit (src/kit) never imports the app, the handlers or the tooling; the app, its handlers and its
// tests import the kit by package name and entry, and never the CLI; a migration imports only packages; the CLI
// (scripts/) reads a service only through its contract and conventions (src/app/contract.ts, src/handlers/), at run
// time, never by importing the example.
//
//   // eslint.config.mjs, the service's
//   export { default } from "@dynamodb-starter/cli/presets/eslint";
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** An import rule: `regex` on the import string, with the reason shown in the error. */
const forbid = (regex, message) => ({ regex, message });
const restrict = (...patterns) => ({ "no-restricted-imports": ["error", { patterns }] });

const NO_TOOLING = forbid(
  String.raw`^(\.\./)+scripts(/|$)|^@dynamodb-starter/cli(/|$)`,
  "src/ never imports the CLI (scripts/, @dynamodb-starter/cli): the deploy pipeline and local tooling stay out of the Lambda.",
);
const KIT_BY_NAME = forbid(
  String.raw`^\.\.?/(.*/)?kit(/|$)|^@dynamodb-starter/kit(/(?!(runtime|migrations|ops|contract|testing)$).*)?$`,
  'Import the kit by its package name and entry: "@dynamodb-starter/kit/runtime", "/migrations", "/ops", "/contract" or "/testing".',
);
const KIT_ALONE = forbid(
  String.raw`^(\.\./)+((src/)?(app|handlers)|scripts|test)(/|$)|^@dynamodb-starter/cli(/|$)`,
  "The kit never imports the app, the handlers, the CLI or a service's tests: teams replace the app and update the kit.",
);
// The kit's own tests may start DynamoDB Local with the CLI's testing entry, by its package name.
const KIT_TESTS_ALONE = forbid(
  String.raw`^(\.\./)+((src/)?(app|handlers)|scripts|test)(/|$)|^@dynamodb-starter/cli(/(?!testing$).*)?$`,
  'The kit\'s tests bring their own fixtures; of the CLI they use "@dynamodb-starter/cli/testing" alone.',
);
const CLI_READS_THE_CONTRACT = forbid(
  String.raw`(^|/)src/(app|handlers)(/|$)|(^|/)test/app(/|$)`,
  "The CLI reads a service only at run time, through its contract and conventions (project.ts): never by importing its files.",
);

export default tseslint.config(
  { ignores: ["**/node_modules/", "**/dist/", "coverage/", ".local/", "bench/"] },
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
      // CommonJS files (jest's reporter and presets, the bin) and require() inside jest.isolateModules are deliberate.
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  { files: ["src/kit/**/*.ts"], ignores: ["src/kit/test/**"], rules: restrict(KIT_ALONE) },
  { files: ["src/kit/test/**/*.ts"], rules: restrict(KIT_TESTS_ALONE) },
  { files: ["src/app/**/*.ts", "src/handlers/**/*.ts", "src/*.ts"], ignores: ["src/app/migrations/**"], rules: restrict(NO_TOOLING, KIT_BY_NAME) },
  {
    // A migration is frozen history: it imports packages and the kit, never live app code.
    files: ["src/app/migrations/[0-9]*.ts"],
    rules: restrict(
      forbid(
        String.raw`^\.`,
        'A migration imports only packages and the kit ("@dynamodb-starter/kit/migrations"); copy the constants it needs from the model into it.',
      ),
      KIT_BY_NAME,
      NO_TOOLING,
    ),
  },
  { files: ["src/app/migrations/index.ts"], rules: restrict(NO_TOOLING, KIT_BY_NAME) },
  { files: ["test/**/*.ts"], rules: restrict(KIT_BY_NAME) },
  { files: ["scripts/src/**/*.ts", "scripts/checks/**/*.ts"], rules: restrict(CLI_READS_THE_CONTRACT, KIT_BY_NAME) },
  { files: ["scripts/test/**/*.ts"], ignores: ["scripts/test/fixtures/**"], rules: restrict(CLI_READS_THE_CONTRACT, KIT_BY_NAME) },
  { files: ["scripts/test/fixtures/**/*.ts"], rules: restrict(NO_TOOLING, KIT_BY_NAME) },
);
