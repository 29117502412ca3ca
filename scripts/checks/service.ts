/**
 * The service the checks run against: the project in the working directory (a service's `make test` runs them from
 * its root), read only through its contract and conventions. Never the example by name: these checks pass or fail
 * for whatever app a service has.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadAwsDeployments, type AwsDeployment } from "../src/deployments";
import { loadFunctions } from "../src/functions";
import { loadContract, project } from "../src/project";

export const service = project();
export const contract = loadContract(service);
export const functions = loadFunctions(service);

/**
 * An AWS deployment of the service to render Terraform's variables for: its first, or (a service that deploys only
 * locally so far) one made up here, since what is checked does not depend on a deployment's settings.
 */
export function someAwsDeployment(): AwsDeployment {
  const [first] = loadAwsDeployments(service.deploymentsFile).values();
  if (first) return first;
  const file = join(mkdtempSync(join(tmpdir(), "check-deployment-")), "deployments.json");
  const state = { bucket: "check-state", key: "check.tfstate", kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/check" };
  const auth = { issuer: "https://issuer.example/", audiences: ["check"] };
  writeFileSync(file, JSON.stringify({ deployments: { check: { region: "eu-west-1", tableName: "check-table", state, auth } } }));
  return loadAwsDeployments(file).get("check")!;
}
