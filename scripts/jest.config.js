/** The CLI's own tests, with their own fixture apps, from the repository's root. */
const { suite } = require("@dynamodb-starter/cli/presets/jest");
module.exports = suite(require("node:path").resolve(__dirname, ".."), __dirname + "/test");
