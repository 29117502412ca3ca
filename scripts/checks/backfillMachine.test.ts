/**
 * The state machine a deploy runs a large backfill on (the CLI's terraform/service/backfill.asl.json), rendered for
 * this service's deployment the way Terraform renders it: valid Amazon States Language by asl-validator, its one task
 * the worker Terraform deploys beside it for that deployment.
 */
import aslValidator from "asl-validator";
import { backfillDefinition } from "../src/pipeline/backfillEngine";
import { someAwsDeployment } from "./service";

type State = { Type: string; Resource?: string; ItemProcessor?: { States: Record<string, State> } };
const tasks = (states: Record<string, State>): string[] =>
  Object.values(states).flatMap((s) => [...(s.Type === "Task" ? [s.Resource!] : []), ...(s.ItemProcessor ? tasks(s.ItemProcessor.States) : [])]);

it("the backfill state machine is valid ASL and runs only this deployment's backfill worker", () => {
  const d = someAwsDeployment();
  const worker = `arn:aws:lambda:${d.region}:123456789012:function:${d.name}-backfill`;
  const definition = backfillDefinition(worker) as { States: Record<string, State> };
  const { isValid, errorsText } = aslValidator(definition);
  expect({ isValid, errors: isValid ? "" : errorsText("\n") }).toEqual({ isValid: true, errors: "" });
  expect(tasks(definition.States)).toEqual([worker]);
});
