#!/usr/bin/env node
// The starter's command line. Run by tsx, as `tsx` itself runs a file (its ESM and CommonJS loaders both registered),
// so that it reads the service's own TypeScript (its contract, its handler modules) as it is, resolving imports as
// the service's tsconfig.json says, and the kit's lazy import()s of its own modules load too.
import { createRequire } from "node:module";
import { register } from "tsx/esm/api";

const require = createRequire(import.meta.url);
register();
require("tsx/cjs/api").register();
require("../src/main.ts").main(process.argv.slice(2));
