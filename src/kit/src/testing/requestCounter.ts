/**
 * Watches the requests a client sends, through SDK middleware: how many,
 * which operations, and how many were in flight at once. For measurements,
 * tests and per-request logs; retries inside the SDK count once.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { randomUUID } from "node:crypto";

export interface RequestCounter {
  /** Operation names in the order they were sent ("DescribeTable", "Query", ...). */
  readonly operations: string[];
  /** The inputs of the requests of one operation, in the order they were sent. */
  inputs(operation: string): unknown[];
  count(): number;
  /** Most requests in flight at once since the last reset. */
  maxInFlight(): number;
  reset(): void;
  /** Removes the middleware; the counts stay readable. */
  stop(): void;
}

export function countRequests(client: DynamoDBClient): RequestCounter {
  const operations: string[] = [];
  const sent: unknown[] = [];
  let inFlight = 0;
  let max = 0;
  const name = `count-requests-${randomUUID()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      operations.push(String(context.commandName).replace(/Command$/, ""));
      sent.push(args.input);
      max = Math.max(max, ++inFlight);
      try {
        return await next(args);
      } finally {
        inFlight--;
      }
    },
    { step: "initialize", name },
  );
  return {
    operations,
    inputs: (operation) => sent.filter((_, i) => operations[i] === operation),
    count: () => operations.length,
    maxInFlight: () => max,
    reset: () => {
      operations.length = 0;
      sent.length = 0;
      max = inFlight;
    },
    stop: () => void client.middlewareStack.remove(name),
  };
}
