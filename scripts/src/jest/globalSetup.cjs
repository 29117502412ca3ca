// Jest loads a global setup with its own transform but not its module mapping: tsx reads it, as the CLI does.
require("tsx/cjs/api").register();
module.exports = require("./globalSetup.ts").default;
