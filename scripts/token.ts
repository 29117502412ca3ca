/**
 * `make token SUB=... [EMAIL=...] [SCOPES="a b"]`: prints a bearer token of
 * the local deployment's issuer, for curl:
 *
 *   curl -H "authorization: Bearer $(make -s token SUB=ada EMAIL=ada@example.com)" http://127.0.0.1:3000/users/ada@example.com
 */
import { parseArgs } from "node:util";
import { ConfigError } from "@dynamodb-starter/kit/runtime";
import { runCli } from "./cli";
import { localDeployment } from "./deployments";
import { localPaths } from "./localDeployment";
import { signLocalToken } from "./localIssuer";

const USAGE = 'usage: make token SUB=<subject> [EMAIL=<address>] [SCOPES="scope another"]';

export async function main(argv: string[], log: (line: string) => void = console.log): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { sub: { type: "string" }, email: { type: "string" }, scopes: { type: "string" } } });
  if (!values.sub) throw new ConfigError(USAGE);
  const scopes = (values.scopes ?? "").split(" ").filter(Boolean);
  log(await signLocalToken(localPaths(localDeployment()).issuer, { sub: values.sub, email: values.email || undefined, scopes }));
}

runCli(module, "token", () => main(process.argv.slice(2)));
