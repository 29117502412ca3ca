/**
 * Tables of a throttling test's own, a client whose SDK retries pause 10 ms
 * instead of 500 ms, and faults injected into a real client: throttles and
 * partial batch results, as DynamoDB answers under load.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { ensureTable } from "../../src/table/ensureTable";
import { LOCAL_REGION } from "../../src/runtime/config";
import { localClients, deleteTable, localEndpoint, uniqueTableName } from "../../src/testing/tables";

/** Call at the top of a test file: its tables are deleted after its tests. */
export function throttlingFixture() {
  const admin = localClients();
  const tables: string[] = [];
  afterAll(async () => {
    await Promise.all(tables.map((t) => deleteTable(admin.client, t)));
    admin.client.destroy();
  });
  async function freshTable(prefix: string): Promise<string> {
    const tableName = uniqueTableName(prefix);
    tables.push(tableName);
    await ensureTable({ client: admin.client, tableName });
    return tableName;
  }

  /**
   * The SDK's own retries — three attempts, throttling and transient errors retried, client errors not —
   * with 10 ms pauses instead of its 500 ms throttling base: a storm then costs the test seconds, not
   * half a minute, and presses the kit's budget harder, never less.
   */
  const quickRetries: NonNullable<DynamoDBClientConfig["retryStrategy"]> = {
    acquireInitialRetryToken: async () => ({ getRetryCount: () => 0, getRetryDelay: () => 0 }),
    async refreshRetryTokenForRetry(token, { errorType }) {
      const count = token.getRetryCount() + 1;
      if (count >= 3 || errorType === "CLIENT_ERROR") throw new Error("no retry left"); // the SDK then throws the request's own error
      return { getRetryCount: () => count, getRetryDelay: () => 10 };
    },
    recordSuccess: () => {},
  };
  const quickClient = () =>
    new DynamoDBClient({
      region: LOCAL_REGION,
      endpoint: localEndpoint(),
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      retryStrategy: quickRetries,
    });

  const throttle = () =>
    Object.assign(new Error("Rate of requests exceeds the allowed throughput (injected)"), {
      name: "ProvisionedThroughputExceededException",
      $fault: "client",
      $metadata: {},
    });

  /**
   * On a real client: every other BatchWriteItem writes only half its requests and hands the rest back as
   * UnprocessedItems (as DynamoDB does under load), and every third write attempt (BatchWriteItem or
   * UpdateItem) is throttled outright.
   */
  function injectFaults(client: DynamoDBClient): { throttled: number; partial: number } {
    const counts = { throttled: 0, partial: 0 };
    let calls = 0;
    let attempts = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== "BatchWriteItemCommand" || ++calls % 2 === 0) return next(args);
        const input = args.input as { RequestItems: Record<string, unknown[]> };
        const [table, requests] = Object.entries(input.RequestItems)[0]!;
        if (requests.length < 2) return next(args);
        const half = Math.ceil(requests.length / 2);
        counts.partial++;
        const result = await next({ ...args, input: { ...input, RequestItems: { [table]: requests.slice(0, half) } } });
        (result.output as { UnprocessedItems?: Record<string, unknown[]> }).UnprocessedItems = { [table]: requests.slice(half) };
        return result;
      },
      { step: "initialize", name: "partial-batches" },
    );
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (["BatchWriteItemCommand", "UpdateItemCommand"].includes(context.commandName!) && ++attempts % 3 === 0) {
          counts.throttled++;
          throw throttle();
        }
        return next(args);
      },
      { step: "deserialize", name: "throttle", priority: "low" },
    );
    return counts;
  }

  async function count(tableName: string, filter?: string): Promise<number> {
    let total = 0;
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await admin.documentClient.send(
        new ScanCommand({ TableName: tableName, Select: "COUNT", ExclusiveStartKey, ConsistentRead: true, ...(filter ? { FilterExpression: filter } : {}) }),
      );
      total += page.Count ?? 0;
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return total;
  }

  return { admin, freshTable, quickClient, throttle, injectFaults, count };
}
