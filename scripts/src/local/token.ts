/**
 * `make token SUB=... [EMAIL=...] [EMAIL_VERIFIED=false] [SCOPES="a b"]`:
 * prints a bearer token of the local deployment's issuer, for curl. The local
 * issuer stands for a provider that checked the address, so an EMAIL is
 * verified unless EMAIL_VERIFIED=false says otherwise:
 *
 *   curl -H "authorization: Bearer $(make -s token SUB=someone EMAIL=someone@example.com)" http://127.0.0.1:3000/<a route of yours>
 */
import { parseArgs } from "node:util";
import { ConfigError } from "@dynamodb-starter/kit/runtime";
import { localDeployment } from "../deployments";
import { localPaths } from "./localDeployment";
import { signLocalToken } from "./localIssuer";

const USAGE = 'usage: make token SUB=<subject> [EMAIL=<address>] [EMAIL_VERIFIED=true|false] [SCOPES="scope another"]';

export async function main(argv: string[], log: (line: string) => void = console.log): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { sub: { type: "string" }, email: { type: "string" }, "email-verified": { type: "string" }, scopes: { type: "string" } },
  });
  const verified = values["email-verified"] || "true";
  if (!values.sub || !["true", "false"].includes(verified)) throw new ConfigError(USAGE);
  const scopes = (values.scopes ?? "").split(" ").filter(Boolean);
  const email = values.email || undefined;
  log(await signLocalToken(localPaths(localDeployment()).issuer, { sub: values.sub, email, emailVerified: email ? verified === "true" : undefined, scopes }));
}
