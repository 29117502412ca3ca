// The starter's lint rules, the import boundaries included (make lint, run by make test).
export { default } from "@dynamodb-starter/cli/presets/eslint";
