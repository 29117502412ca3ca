/**
 * What one request cost in DynamoDB: how many calls the handler made and
 * the capacity they consumed, for the per-request log line. While a
 * request is metered, data-plane calls ask for ReturnConsumedCapacity
 * TOTAL; outside one, calls are left as they are. Lambda runs one request
 * per process at a time, which is what makes a process-wide meter exact
 * there; under concurrent requests (the local adapter) it is approximate.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";

export interface Meter {
  requests: number;
  /** Capacity units DynamoDB reported, when it reported any. */
  capacityUnits: number;
}

const DATA_PLANE = new Set([
  "GetItemCommand",
  "PutItemCommand",
  "UpdateItemCommand",
  "DeleteItemCommand",
  "QueryCommand",
  "ScanCommand",
  "BatchGetItemCommand",
  "BatchWriteItemCommand",
  "TransactGetItemsCommand",
  "TransactWriteItemsCommand",
]);

let current: Meter | undefined;
const meteredClients = new WeakSet<DynamoDBClient>();

/** Adds the meter's middleware to `client`, once. */
export function meterClient(client: DynamoDBClient): void {
  if (meteredClients.has(client)) return;
  meteredClients.add(client);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const meter = current;
      if (!meter) return next(args);
      meter.requests++;
      const input = args.input as Record<string, unknown>;
      const measured = DATA_PLANE.has(String(context.commandName)) && input.ReturnConsumedCapacity === undefined;
      const result = await next(measured ? { ...args, input: { ...input, ReturnConsumedCapacity: "TOTAL" } } : args);
      const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }).ConsumedCapacity;
      for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) meter.capacityUnits += c.CapacityUnits ?? 0;
      return result;
    },
    { step: "initialize", name: "request-meter" },
  );
}

/** Runs `work` with a fresh meter and returns both. */
export async function metered<T>(work: () => Promise<T>): Promise<{ result: T; meter: Meter }> {
  const meter: Meter = { requests: 0, capacityUnits: 0 };
  current = meter;
  try {
    return { result: await work(), meter };
  } finally {
    if (current === meter) current = undefined;
  }
}
