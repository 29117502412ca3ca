// Lint for `make test` (zero warnings). Besides typescript-eslint's recommended rules, it holds the
// architecture's import rules: the kit (src/kit, a package of its own) never imports the app, the
// starter's scripts or its test support; everything else imports the kit by package name and entry;
// migrations import only packages; src/ never imports scripts/.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** An import rule: `regex` on the import string, with the reason shown in the error. */
const forbid = (regex, message) => ({ regex, message });
const restrict = (...patterns) => ({ "no-restricted-imports": ["error", { patterns }] });

const NO_SCRIPTS = forbid(
  String.raw`^(\.\./)+scripts(/|$)`,
  "src/ never imports scripts/: the deploy pipeline, CLIs and local tooling stay out of the Lambda.",
);
const KIT_BY_NAME = forbid(
  String.raw`^\.\.?/(.*/)?kit(/|$)|^@dynamodb-starter/kit(/(?!(runtime|migrations|ops|contract|testing)$).*)?$`,
  'Import the kit by its package name and entry: "@dynamodb-starter/kit/runtime", "/migrations", "/ops", "/contract" or "/testing".',
);
const KIT_ALONE = forbid(
  String.raw`^(\.\./)+((src/)?(app|handlers)|scripts|test)(/|$)`,
  "The kit never imports the app, the handlers, the starter's scripts or its tests: teams replace the app and update the kit.",
);

export default tseslint.config(
  { ignores: ["node_modules/", "**/dist/", "coverage/", ".local/", "bench/"] },
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
  { files: ["src/kit/**/*.ts"], rules: restrict(KIT_ALONE) },
  { files: ["src/app/**/*.ts", "src/handlers/**/*.ts", "src/*.ts"], ignores: ["src/app/migrations/**"], rules: restrict(NO_SCRIPTS, KIT_BY_NAME) },
  {
    // A migration is frozen history: it imports packages and the kit, never live app code.
    files: ["src/app/migrations/[0-9]*.ts"],
    rules: restrict(
      forbid(
        String.raw`^\.`,
        'A migration imports only packages and the kit ("@dynamodb-starter/kit/migrations"); copy the constants it needs from the model into it.',
      ),
      KIT_BY_NAME,
    ),
  },
  { files: ["src/app/migrations/index.ts"], rules: restrict(NO_SCRIPTS, KIT_BY_NAME) },
  { files: ["test/**/*.ts"], rules: restrict(KIT_BY_NAME) },
  {
    // Scripts learn what they need about the app from its contract alone.
    files: ["scripts/**/*.ts"],
    rules: restrict(forbid(String.raw`^(\.\./)+src/(app/(?!contract$)|handlers)`, "Scripts read the app through src/app/contract.ts only."), KIT_BY_NAME),
  },
);
