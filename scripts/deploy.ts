/**
 * `make deploy | plan | destroy | logs | invoke [DEPLOYMENT=name] [NAME=function]`.
 *
 * AWS: checks first (terraform, credentials, state bucket) so that a missing
 * prerequisite changes nothing; then build, pre-step (table, settings,
 * migrations), terraform, and the catch-up pass of the backfills the
 * pre-step applied (catchUp.ts). `local` (the default): see localDeployment.ts.
 */
import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { SSMClient } from "@aws-sdk/client-ssm";
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { ConfigError, StarterError, createClient } from "@dynamodb-starter/kit/runtime";
import { describeTable } from "@dynamodb-starter/kit/ops";
import { buildFunctions, sizeReport } from "./build";
import { httpFunction, loadFunctions, type FunctionSpec } from "./functions";
import { runCli } from "./cli";
import { assertCredentials } from "./credentials";
import { loadDeployment, type AwsDeployment } from "./deployments";
import { deployLocal, destroyLocal, invokeLocal, localLogFiles } from "./localDeployment";
import { runCatchUp } from "./catchUp";
import { runPreStep } from "./preStep";
import { cursorSecretParameter, ensureCursorSecret } from "./secretParameter";
import { assertTerraform, backendConfigArgs, functionName, terraform, writeVarFile } from "./terraform";

/**
 * Beyond the previous function's timeout: for the seconds after an update in which Lambda may still start
 * invocations of the previous code. An assumption, generous on purpose; the catch-up is cheap when early.
 */
const PREVIOUS_CODE_MARGIN_SECONDS = 30;

const USAGE = "usage: deploy <deploy|plan|destroy|logs|invoke> [--deployment NAME] [--name FUNCTION] [--auto-approve] [--delete-table TABLE_NAME]";

export class StateBucketError extends StarterError<"STATE_BUCKET"> {
  override name = "StateBucketError";
  constructor(message: string) {
    super("STATE_BUCKET", message);
  }
}

export async function main(argv: string[], log: (line: string) => void = console.log): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      deployment: { type: "string", default: "local" },
      "auto-approve": { type: "boolean", default: false },
      "delete-table": { type: "string" },
      name: { type: "string" },
    },
  });
  const [command, ...extra] = positionals;
  if (!command || extra.length > 0) throw new ConfigError(USAGE);
  const deployment = loadDeployment(values.deployment!);

  if (deployment.kind === "local") {
    switch (command) {
      case "deploy": {
        const { url } = await deployLocal(deployment, log);
        log(`\nlocal deployment is up: ${url}\n  try: curl ${url}/health\n  logs: make logs   stop and delete data: make destroy`);
        return;
      }
      case "destroy":
        return destroyLocal(deployment, log);
      case "logs":
        return follow("tail", ["-n", "50", "-F", ...localLogFiles(deployment, loadFunctions(), values.name)]);
      case "invoke":
        return invokeLocal(deployment, functionNamed(values.name), log);
      case "plan":
        throw new ConfigError('the local deployment has no Terraform to plan; use "make plan DEPLOYMENT=<aws deployment>"');
      default:
        throw new ConfigError(`unknown command "${command}".\n${USAGE}`);
    }
  }

  switch (command) {
    case "deploy":
    case "plan":
      return deployAws(deployment, { applyChanges: command === "deploy", autoApprove: values["auto-approve"]!, log });
    case "destroy":
      return destroyAws(deployment, { autoApprove: values["auto-approve"]!, deleteTable: values["delete-table"], log });
    case "logs": {
      const name = values.name === undefined ? httpFunction(loadFunctions()).name : functionNamed(values.name).name;
      return follow(
        "aws",
        ["logs", "tail", `/aws/lambda/${functionName(deployment, name)}`, "--follow", "--region", deployment.region],
        "the AWS CLI is needed for `make logs` on AWS deployments",
      );
    }
    case "invoke": {
      const { name } = functionNamed(values.name);
      throw new ConfigError(
        `make invoke runs a function of the local deployment. On AWS, with the AWS CLI:\n` +
          `  aws lambda invoke --region ${deployment.region} --function-name ${functionName(deployment, name)} --payload '{"source":"invoke"}' --cli-binary-format raw-in-base64-out /dev/stdout`,
      );
    }
    default:
      throw new ConfigError(`unknown command "${command}".\n${USAGE}`);
  }
}

/** Everything that can be checked without changing anything, in order: tool, credentials, state bucket. */
async function preflight(d: AwsDeployment, log: (line: string) => void): Promise<void> {
  log(`deployment "${d.name}": table ${d.tableName} in ${d.region}, state s3://${d.state.bucket}/${d.state.key}`);
  backendConfigArgs(d); // refuses a deployment whose state would be written without its KMS key
  log(`  terraform ${assertTerraform()}`);
  const client = createClient({ region: d.region });
  try {
    await assertCredentials(client, d.region);
  } finally {
    client.destroy();
  }
  log("  AWS credentials found");
  const s3 = new S3Client({ region: d.state.region });
  try {
    await s3.send(new HeadBucketCommand({ Bucket: d.state.bucket }));
    log(`  state bucket ${d.state.bucket} reachable`);
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const fix =
      status === 404
        ? `does not exist. Create it once (versioning on), for example:\n  aws s3api create-bucket --bucket ${d.state.bucket} --region ${d.state.region} --create-bucket-configuration LocationConstraint=${d.state.region}\n  aws s3api put-bucket-versioning --bucket ${d.state.bucket} --versioning-configuration Status=Enabled`
        : status === 403
          ? "exists but these credentials may not use it: grant s3:ListBucket on it and s3:GetObject/PutObject/DeleteObject on its keys"
          : `could not be checked: ${error instanceof Error ? error.message : String(error)}`;
    throw new StateBucketError(`Terraform state bucket "${d.state.bucket}" ${fix}\nNothing was changed. (Edit infra/deployments.json to use another bucket.)`);
  } finally {
    s3.destroy();
  }
}

async function deployAws(d: AwsDeployment, { applyChanges, autoApprove, log }: { applyChanges: boolean; autoApprove: boolean; log: (line: string) => void }) {
  await preflight(d, log);

  log("build");
  const functions = loadFunctions();
  const artifacts = await buildFunctions(undefined, functions);
  log(sizeReport(artifacts));

  const varFile = writeVarFile(d, functions, artifacts);
  if (!applyChanges) {
    log("pre-step skipped by plan (the table must exist for the plan's data source to read it)");
    await terraform(d, ["init", "-input=false", "-reconfigure", ...backendConfigArgs(d)]);
    // No state lock: a plan changes nothing, and its role (pull requests') may not write to the state bucket.
    return terraform(d, ["plan", "-input=false", "-lock=false", `-var-file=${varFile}`]);
  }
  const client = createClient({ region: d.region });
  const ssm = new SSMClient({ region: d.region });
  try {
    const { applied } = await runPreStep({ client, tableName: d.tableName, settings: d.table, log, functions });
    await ensureCursorSecret(ssm, cursorSecretParameter(functionName(d, httpFunction(functions).name)), log);
    await terraform(d, ["init", "-input=false", "-reconfigure", ...backendConfigArgs(d)]);
    await terraform(d, ["apply", "-input=false", `-var-file=${varFile}`, ...(autoApprove ? ["-auto-approve"] : [])]);
    const waitSeconds = d.lambda.timeoutSeconds + PREVIOUS_CODE_MARGIN_SECONDS;
    await runCatchUp({ client, tableName: d.tableName, applied, waitSeconds, log });
  } finally {
    client.destroy();
    ssm.destroy();
  }
}

async function destroyAws(
  d: AwsDeployment,
  { autoApprove, deleteTable, log }: { autoApprove: boolean; deleteTable: string | undefined; log: (line: string) => void },
) {
  if (deleteTable !== undefined && deleteTable !== d.tableName) {
    throw new ConfigError(`DELETE_TABLE must repeat the table name to delete it: DELETE_TABLE=${d.tableName}. Nothing was changed.`);
  }
  await preflight(d, log);
  const functions = loadFunctions();
  const varFile = writeVarFile(d, functions, await buildFunctions(undefined, functions)); // the configuration hashes the zips even to destroy
  await terraform(d, ["init", "-input=false", "-reconfigure", ...backendConfigArgs(d)]);
  await terraform(d, ["destroy", "-input=false", `-var-file=${varFile}`, ...(autoApprove ? ["-auto-approve"] : [])]);

  if (deleteTable === undefined) {
    log(`table "${d.tableName}" kept: it holds data. To delete it too: make destroy DEPLOYMENT=${d.name} DELETE_TABLE=${d.tableName}`);
    return;
  }
  const client = createClient({ region: d.region });
  try {
    const table = await describeTable(client, d.tableName);
    if (!table) return log(`table "${d.tableName}" does not exist`);
    if (table.DeletionProtectionEnabled) {
      throw new ConfigError(
        `table "${d.tableName}" has deletion protection on, which no deploy turns off. If the table must go, an administrator of the ` +
          `account turns it off by hand (aws dynamodb update-table --region ${d.region} --table-name ${d.tableName} --no-deletion-protection-enabled), ` +
          `then runs this again. Nothing else was changed.`,
      );
    }
    await client.send(new DeleteTableCommand({ TableName: d.tableName }));
    log(`deleted table "${d.tableName}"`);
  } finally {
    client.destroy();
  }
}

/** The function `name` of src/handlers/, refusing an unknown name with the list. */
function functionNamed(name: string | undefined): FunctionSpec {
  const functions = loadFunctions();
  const found = functions.find((f) => f.name === name);
  if (!found) {
    throw new ConfigError(`${name === undefined ? "NAME is required" : `no function is named "${name}"`}: NAME=${functions.map((f) => f.name).join("|")}`);
  }
  return found;
}

function follow(command: string, args: string[], missing = `${command} is not installed`): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: "inherit" });
    child.on("error", () => reject(new ConfigError(missing)));
    child.on("exit", () => resolve());
  });
}

runCli(module, "deploy", () => main(process.argv.slice(2)));
