/**
 * The backfill state machine on this machine: the same definition as on AWS (terraform/service/backfill.asl.json),
 * executed by aws-local-stepfunctions, a real ASL interpreter, with its task state mapped to the built worker
 * (dist/backfillWorker/index.mjs) against the local deployment's DynamoDB. Each concurrent call gets a worker process
 * of its own, as Lambda gives each concurrent invocation an environment; a worker process that dies fails its call
 * as Lambda.Unknown, which the definition retries.
 */
import { existsSync } from "node:fs";
import type { StateMachine as Machine } from "aws-local-stepfunctions";
import { backfillDefinition, type BackfillMachine, type Execution, type ExecutionInput } from "../pipeline/backfillEngine";
import { BuiltFunction } from "./builtFunction";

/** The worker's ARN in the locally run definition: its task state runs the local worker instead. */
export const LOCAL_WORKER_ARN = "arn:aws:lambda:us-east-1:000000000000:function:local-backfill";
/** A worker call's time, as Lambda's 15-minute limit gives it. */
const WORKER_TIMEOUT_MS = 900_000;

export interface LocalBackfillMachine extends BackfillMachine {
  /** The worker processes of running executions (a test kills one to see the retry). */
  readonly workers: ReadonlySet<BuiltFunction>;
}

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

/**
 * The interpreter, loaded when a backfill runs. It is written for Node 22 (Lambda's runtime here too) and uses
 * Promise.withResolvers, which Node 20 lacks: supplied here where missing, exactly as the standard defines it.
 */
function stateMachine(definition: object): Machine {
  const promises = Promise as unknown as { withResolvers?: () => unknown };
  promises.withResolvers ??= () => {
    let resolve!: (value: unknown) => void;
    let reject!: (reason: unknown) => void;
    const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
    return { promise, resolve, reject };
  };
  const { StateMachine } = require("aws-local-stepfunctions") as typeof import("aws-local-stepfunctions");
  return new StateMachine(definition as never);
}

export function localBackfillMachine({
  workerFile,
  env,
  retryMs = 100,
  onResult = () => {},
}: {
  workerFile: string;
  env: NodeJS.ProcessEnv;
  retryMs?: number;
  /** Sees each worker call's result (make bench adds up the write units). */
  onResult?: (result: unknown) => void;
}): LocalBackfillMachine {
  const workers = new Set<BuiltFunction>();
  return {
    name: "the local state machine (aws-local-stepfunctions)",
    workers,
    async prepare() {
      return existsSync(workerFile);
    },
    async start(input: ExecutionInput): Promise<Execution> {
      const machine = stateMachine(backfillDefinition(LOCAL_WORKER_ARN));
      const idle: BuiltFunction[] = [];
      let ended = false;
      const call = async (task: unknown) => {
        // A failed Map does not stop the interpreter's other children at once: none starts a worker once it ended.
        if (ended) throw named("States.Aborted", "the execution ended");
        const worker = idle.pop() ?? new BuiltFunction(workerFile, env);
        workers.add(worker);
        const outcome = await worker.invoke(task, WORKER_TIMEOUT_MS);
        if ("crashed" in outcome) {
          workers.delete(worker);
          throw named("Lambda.Unknown", `the worker ${outcome.crashed}`);
        }
        if (ended) {
          workers.delete(worker);
          worker.stop();
        } else idle.push(worker);
        if ("error" in outcome) throw named(outcome.error.name, outcome.error.message);
        onResult(outcome.result);
        return outcome.result;
      };
      const stopWorkers = () => {
        ended = true;
        for (const worker of workers) worker.stop();
        workers.clear();
      };
      const execution = machine.run(input as never, {
        overrides: { taskResourceLocalHandlers: { RunSegment: call as never }, retryIntervalOverrides: { RunSegment: retryMs } },
      });
      return {
        where: "local",
        done: execution.result.then(
          () => stopWorkers(),
          (error: unknown) => {
            execution.abort();
            stopWorkers();
            const cause = (error as { cause?: { name?: string; message?: string } }).cause;
            throw new Error(cause?.message ? `${cause.name ?? "Error"}: ${cause.message}` : String((error as Error).message ?? error));
          },
        ),
        async stop() {
          execution.abort();
          stopWorkers();
        },
      };
    },
  };
}
