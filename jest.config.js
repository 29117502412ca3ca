/** The service's tests (test/) and the checks of its contract, against a DynamoDB Local started for the run. */
module.exports = require("@dynamodb-starter/cli/presets/jest").service(__dirname);
