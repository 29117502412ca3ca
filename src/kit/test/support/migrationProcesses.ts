/**
 * Runs the migration child (support/migrationChild.ts, bundled once per test
 * file) as separate Node processes, with a wall clock shifted on request, on
 * tables of the test's own; and reads what the children left in the table.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { ensureTable } from "../../src/table/ensureTable";
import { bundleForNode } from "./bundle";
import { localClients, deleteTable, uniqueTableName } from "../../src/testing/tables";

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const SKEWED_CLOCK = resolve(__dirname, "skewedClock.js");

/** Call at the top of a test file: bundles the child before the tests and deletes the tables after them. */
export function migrationProcesses() {
  const { client, documentClient } = localClients();
  const tables: string[] = [];
  let child: string;
  beforeAll(async () => {
    child = await bundleForNode("migrationChild.ts", "migrationChild");
  });
  afterAll(async () => {
    await Promise.all(tables.map((t) => deleteTable(client, t)));
    client.destroy();
  });

  return {
    documentClient,

    async freshTable(prefix: string): Promise<string> {
      const tableName = uniqueTableName(prefix);
      tables.push(tableName);
      await ensureTable({ client, tableName });
      return tableName;
    },

    /** Runs the child; `onLine` sees each line it prints, with its process. `skewMs` shifts its wall clock. */
    run(args: string[], onLine?: (line: string, proc: ChildProcess) => void, skewMs = 0): Promise<Run> {
      return new Promise((resolve, reject) => {
        const proc = spawn(process.execPath, ["--require", SKEWED_CLOCK, child, ...args], {
          stdio: ["ignore", "pipe", "pipe"],
          env: { ...process.env, CLOCK_SKEW_MS: String(skewMs) },
        });
        let stdout = "";
        let stderr = "";
        proc.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk;
          for (const line of chunk.toString().split("\n").filter(Boolean)) onLine?.(line, proc);
        });
        proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
        proc.on("error", reject);
        proc.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr }));
      });
    },

    /** A counter the "slow" migration keeps in the table. */
    slowCount: async (tableName: string, sk: string) =>
      Number((await documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: "_test#slow", sk }, ConsistentRead: true }))).Item?.n ?? 0),

    executedRecords: async (tableName: string) =>
      (
        await documentClient.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues: { ":pk": "_migrations", ":prefix": "migration#" },
            ConsistentRead: true,
          }),
        )
      ).Items ?? [],
  };
}
