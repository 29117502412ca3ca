/**
 * `make deploy | plan | rollback | destroy | logs | invoke [DEPLOYMENT=name] [NAME=function]`: the pipeline (pipeline.ts)
 * shipped to AWS (awsShip.ts) or to the built-in local deployment (localDeployment.ts), and the commands
 * around a deployment.
 */
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { ConfigError } from "@dynamodb-starter/kit/runtime";
import { httpFunction, loadFunctions, type FunctionSpec } from "../functions";
import { loadDeployment } from "../deployments";
import { deployLocal, destroyLocal, invokeLocal, localLogFiles, rollbackLocal } from "../local/localDeployment";
import { readableWriter } from "../local/logLines";
import { functionName } from "../aws/terraform";
import { loadContract, project, type Project } from "../project";
import { awsShip, destroyAws, planAws, rollbackAws } from "./awsShip";
import { runDeploy } from "./pipeline";

const USAGE = "usage: deploy <deploy|plan|rollback|destroy|logs|invoke> [--deployment NAME] [--name FUNCTION] [--auto-approve] [--delete-table TABLE_NAME]";

export async function main(argv: string[], log: (line: string) => void = console.log, p: Project = project()): Promise<void> {
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
  const deployment = loadDeployment(values.deployment!, { project: p });
  const functions = () => loadFunctions(p);

  if (deployment.kind === "local") {
    switch (command) {
      case "deploy": {
        const { url } = await deployLocal(deployment, log);
        log(`\nlocal deployment is up: ${url}\n  try: curl ${url}/health\n  logs: make logs   stop and delete data: make destroy`);
        return;
      }
      case "rollback":
        return rollbackLocal(deployment, log, functions());
      case "destroy":
        return destroyLocal(deployment, log);
      case "logs":
        // The files hold the JSON lines as CloudWatch would get them; the terminal gets them readable (logLines.ts).
        return follow(
          "tail",
          ["-n", "50", "-F", ...localLogFiles(deployment, functions(), values.name)],
          "tail is not installed",
          readableWriter((t) => process.stdout.write(t)),
        );
      case "invoke":
        return invokeLocal(deployment, functionNamed(functions(), values.name), log);
      case "plan":
        throw new ConfigError('the local deployment has no Terraform to plan; use "make plan DEPLOYMENT=<aws deployment>"');
      default:
        throw new ConfigError(`unknown command "${command}".\n${USAGE}`);
    }
  }

  switch (command) {
    case "deploy": {
      const target = {
        project: p,
        tableName: deployment.tableName,
        settings: deployment.table,
        functions: functions(),
        migrations: loadContract(p).api.migrations,
      };
      await runDeploy(target, awsShip(deployment, p, target.functions, { autoApprove: values["auto-approve"]! }), log);
      return;
    }
    case "plan":
      return planAws(deployment, p, functions(), log);
    case "rollback":
      return rollbackAws(deployment, p, functions(), log);
    case "destroy":
      return destroyAws(deployment, p, functions(), { autoApprove: values["auto-approve"]!, deleteTable: values["delete-table"], log });
    case "logs": {
      const all = functions();
      const name = values.name === undefined ? httpFunction(all).name : functionNamed(all, values.name).name;
      return follow(
        "aws",
        ["logs", "tail", `/aws/lambda/${functionName(deployment, name)}`, "--follow", "--region", deployment.region],
        "the AWS CLI is needed for `make logs` on AWS deployments",
      );
    }
    case "invoke": {
      const { name } = functionNamed(functions(), values.name);
      throw new ConfigError(
        `make invoke runs a function of the local deployment. On AWS, with the AWS CLI:\n` +
          `  aws lambda invoke --region ${deployment.region} --function-name ${functionName(deployment, name)} --payload '{"source":"invoke"}' --cli-binary-format raw-in-base64-out /dev/stdout`,
      );
    }
    default:
      throw new ConfigError(`unknown command "${command}".\n${USAGE}`);
  }
}

/** The function `name` of the service, refusing an unknown name with the list. */
function functionNamed(functions: readonly FunctionSpec[], name: string | undefined): FunctionSpec {
  const found = functions.find((f) => f.name === name);
  if (!found) {
    throw new ConfigError(`${name === undefined ? "NAME is required" : `no function is named "${name}"`}: NAME=${functions.map((f) => f.name).join("|")}`);
  }
  return found;
}

function follow(command: string, args: string[], missing = `${command} is not installed`, lines?: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["inherit", lines ? "pipe" : "inherit", "inherit"] });
    if (lines) child.stdout?.on("data", lines);
    child.on("error", () => reject(new ConfigError(missing)));
    child.on("exit", () => resolve());
  });
}
