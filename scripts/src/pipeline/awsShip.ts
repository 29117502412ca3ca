/**
 * The AWS target of the pipeline: its pre-flight (terraform, credentials,
 * the state bucket), and its ship step: the cursor secret's parameter, then
 * `terraform apply` of the deployment's assembled root. Also plan and
 * destroy, which share the pre-flight and the root.
 */
import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { SSMClient } from "@aws-sdk/client-ssm";
import { CodeDeployClient } from "@aws-sdk/client-codedeploy";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { ConfigError, StarterError, createClient, createDocumentClient } from "@dynamodb-starter/kit/runtime";
import { describeTable } from "@dynamodb-starter/kit/ops";
import { buildBackfillWorker, buildFunctions } from "../build";
import { httpFunction, type FunctionSpec } from "../functions";
import { checkCredentials } from "../aws/credentials";
import { cursorSecretParameter, ensureCursorSecret } from "../aws/secretParameter";
import { assembleRoot, assertTerraform, backendConfigArgs, functionName, terraform, terraformOutput, writeVarFile } from "../aws/terraform";
import { pointAliases, shiftTraffic, type FunctionRelease } from "../aws/release";
import { awsBackfillMachine } from "../aws/backfillMachine";
import { rollBack } from "./releases";
import type { AwsDeployment } from "../deployments";
import { loadContract, type Project } from "../project";
import { drainSeconds, type Ship } from "./pipeline";

export class StateBucketError extends StarterError<"STATE_BUCKET"> {
  override name = "StateBucketError";
  constructor(message: string) {
    super("STATE_BUCKET", message);
  }
}

export interface AwsShipOptions {
  autoApprove: boolean;
}

/** How the pipeline ships to AWS deployment `d`. */
export function awsShip(d: AwsDeployment, p: Project, functions: readonly FunctionSpec[], { autoApprove }: AwsShipOptions): Ship {
  return {
    preflight: (log) => preflight(d, log),
    build: { dir: p.distDir, zip: true },
    connect: async () => createClient({ region: d.region }),
    async ship(artifacts, log) {
      const ssm = new SSMClient({ region: d.region });
      try {
        await ensureCursorSecret(ssm, cursorSecretParameter(functionName(d, httpFunction(functions).name)), log);
      } finally {
        ssm.destroy();
      }
      const root = await initRoot(d, p);
      const varFile = writeVarFile(d, functions, artifacts, p);
      await terraform(root, ["apply", "-input=false", `-var-file=${varFile}`, ...(autoApprove ? ["-auto-approve"] : [])]);
      // The versions this apply published: CodeDeploy moves each live alias to them, after the pre-traffic check.
      const published = await terraformOutput<Record<string, Omit<FunctionRelease, "name">>>(root, "releases");
      const releases = Object.entries(published).map(([name, r]) => ({ name, ...r }));
      const clients = { lambda: new LambdaClient({ region: d.region }), codedeploy: new CodeDeployClient({ region: d.region }) };
      try {
        await shiftTraffic(releases, httpFunction(functions).name, clients, { shift: d.release.shift, log, contract: loadContract(p) });
      } finally {
        clients.lambda.destroy();
        clients.codedeploy.destroy();
      }
      return Object.fromEntries(releases.map((r) => [r.name, r.version]));
    },
    drainSeconds: drainSeconds(functions, d.lambda.timeoutSeconds),
    backfills: { distributedAboveItems: d.backfills.distributedAboveItems, machine: (worker) => awsBackfillMachine(d, worker) },
  };
}

/** `make plan`: the pre-flight, the build, and what Terraform would change; no pre-step (the table must exist to be read). */
export async function planAws(d: AwsDeployment, p: Project, functions: readonly FunctionSpec[], log: (line: string) => void): Promise<void> {
  await preflight(d, log);
  const artifacts = [...(await buildFunctions(p.distDir, functions)), await buildBackfillWorker(p, p.distDir)];
  const root = await initRoot(d, p);
  log("pre-step skipped by plan (the table must exist for the plan's data source to read it)");
  // No state lock: a plan changes nothing, and its role (pull requests') may not write to the state bucket.
  await terraform(root, ["plan", "-input=false", "-lock=false", `-var-file=${writeVarFile(d, functions, artifacts, p)}`]);
}

/** `make destroy`: everything Terraform made; the table only when DELETE_TABLE repeats its name, and never a protected one. */
export async function destroyAws(
  d: AwsDeployment,
  p: Project,
  functions: readonly FunctionSpec[],
  { autoApprove, deleteTable, log }: { autoApprove: boolean; deleteTable: string | undefined; log: (line: string) => void },
): Promise<void> {
  if (deleteTable !== undefined && deleteTable !== d.tableName) {
    throw new ConfigError(`DELETE_TABLE must repeat the table name to delete it: DELETE_TABLE=${d.tableName}. Nothing was changed.`);
  }
  await preflight(d, log);
  // The configuration hashes the zips even to destroy.
  const artifacts = [...(await buildFunctions(p.distDir, functions)), await buildBackfillWorker(p, p.distDir)];
  const root = await initRoot(d, p);
  await terraform(root, ["destroy", "-input=false", `-var-file=${writeVarFile(d, functions, artifacts, p)}`, ...(autoApprove ? ["-auto-approve"] : [])]);

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

/** The deployment's root, assembled and initialised against its own state. */
async function initRoot(d: AwsDeployment, p: Project): Promise<string> {
  const root = assembleRoot(p, d.name);
  await terraform(root, ["init", "-input=false", "-reconfigure", ...backendConfigArgs(d)]);
  return root;
}

/** Everything that can be checked without changing anything, in order: tool, credentials, state bucket. */
export async function preflight(d: AwsDeployment, log: (line: string) => void): Promise<void> {
  log(`deployment "${d.name}": table ${d.tableName} in ${d.region}, state s3://${d.state.bucket}/${d.state.key}`);
  backendConfigArgs(d); // refuses a deployment whose state would be written without its KMS key
  log(`  terraform ${assertTerraform()}`);
  await checkCredentials(d.region, log);
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

/**
 * `make rollback DEPLOYMENT=x`: every live alias back on the versions of the release before the current one, at
 * once, unless a contract migration has run since (releases.ts says which, and changes nothing).
 */
export async function rollbackAws(d: AwsDeployment, p: Project, functions: readonly FunctionSpec[], log: (line: string) => void): Promise<void> {
  await checkCredentials(d.region, log);
  const client = createClient({ region: d.region });
  const lambda = new LambdaClient({ region: d.region });
  try {
    const db = createDocumentClient(client);
    await rollBack({ client, db, tableName: d.tableName, migrations: loadContract(p).api.migrations, log }, async ({ from, to }) => {
      log(`rolling back ${d.name} from release ${from.seq} to release ${to.seq} (${to.at})`);
      const releases = functions.map((f) => ({
        name: f.name,
        function_name: functionName(d, f.name),
        alias: "live",
        version: "",
        application: "",
        deployment_group: "",
      }));
      await pointAliases(lambda, releases, to.versions, log);
    });
  } finally {
    client.destroy();
    lambda.destroy();
  }
}
