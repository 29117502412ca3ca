require("tsx/cjs/api").register();
module.exports = require("./globalTeardown.ts").default;
