/**
 * The kit's middleware on a function's DynamoDB client (connect() adds it),
 * for the current invocation (telemetry.ts):
 *
 * - **What it cost**: data-plane calls ask for ReturnConsumedCapacity TOTAL,
 *   and the units DynamoDB reports are added to the invocation's read or
 *   write units, by the call's kind. Outside an invocation, calls are left as
 *   they are.
 * - **Who wrote it**: every item a request writes (PutItem, UpdateItem, and
 *   the puts and updates of TransactWriteItems and BatchWriteItem) carries
 *   `_cid`: the invocation's correlation id and the write's number in it
 *   (`<id>#<n>`), so the stream consumer that handles the change finds the
 *   request that made it; a tag that did not change between a record's old
 *   and new image was not written by that change. Deletes carry nothing (a
 *   deleted item has no new image). Reads through this client never return
 *   `_cid`: the app never sees it.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { currentInvocation, type Invocation } from "./telemetry";
import { PARTITION_KEY } from "../table/keySchema";

/** The attribute that carries the writing invocation's correlation id on an item. */
export const CORRELATION_ATTRIBUTE = "_cid";

const READS = new Set(["GetItemCommand", "QueryCommand", "ScanCommand", "BatchGetItemCommand", "TransactGetItemsCommand"]);
const WRITES = new Set(["PutItemCommand", "UpdateItemCommand", "DeleteItemCommand", "BatchWriteItemCommand", "TransactWriteItemsCommand"]);

type Attributes = Record<string, unknown>;
interface Update {
  Key?: Attributes;
  UpdateExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Attributes;
}
const NAME = "#kitCid";
const VALUE = ":kitCid";

/** `value` in the shape of `like`'s key: a plain string for the DocumentClient's items, `{ S }` for the low-level client's. */
const shaped = (like: Attributes | undefined, value: string) => (typeof like?.[PARTITION_KEY] === "object" ? { S: value } : value);

function tagged(item: Attributes | undefined, inv: Invocation): Attributes | undefined {
  if (!item) return item;
  return { ...item, [CORRELATION_ATTRIBUTE]: shaped(item, `${inv.correlationId}#${++inv.writes}`) };
}

function taggedUpdate<U extends Update>(update: U, inv: Invocation): U {
  const expression = update.UpdateExpression;
  if (!expression) return update; // AttributeUpdates (the legacy form) are left as they are
  const set = `${NAME} = ${VALUE}`;
  // SET is a reserved word: bare, it is only ever the clause's keyword, at the start or after a space (never inside a
  // placeholder such as #set or :set, which an attribute named "set" needs).
  const clause = /(^|\s)SET\s/i;
  const UpdateExpression = clause.test(expression) ? expression.replace(clause, (kw) => `${kw}${set}, `) : `SET ${set} ${expression}`;
  return {
    ...update,
    UpdateExpression,
    ExpressionAttributeNames: { ...update.ExpressionAttributeNames, [NAME]: CORRELATION_ATTRIBUTE },
    ExpressionAttributeValues: { ...update.ExpressionAttributeValues, [VALUE]: shaped(update.Key, `${inv.correlationId}#${++inv.writes}`) },
  };
}

/** The input of a write with every item it puts or updates tagged. */
function withCorrelation(command: string, input: Attributes, inv: Invocation): Attributes {
  switch (command) {
    case "PutItemCommand":
      return { ...input, Item: tagged(input.Item as Attributes, inv) };
    case "UpdateItemCommand":
      return taggedUpdate(input as Update, inv) as Attributes;
    case "TransactWriteItemsCommand":
      return {
        ...input,
        TransactItems: (input.TransactItems as { Put?: { Item: Attributes }; Update?: Update }[]).map((action) =>
          action.Put
            ? { ...action, Put: { ...action.Put, Item: tagged(action.Put.Item, inv) } }
            : action.Update
              ? { ...action, Update: taggedUpdate(action.Update, inv) }
              : action,
        ),
      };
    case "BatchWriteItemCommand": {
      const requests = input.RequestItems as Record<string, { PutRequest?: { Item: Attributes } }[]>;
      const RequestItems = Object.fromEntries(
        Object.entries(requests).map(([table, list]) => [
          table,
          list.map((r) => (r.PutRequest ? { ...r, PutRequest: { Item: tagged(r.PutRequest.Item, inv) } } : r)),
        ]),
      );
      return { ...input, RequestItems };
    }
    default:
      return input;
  }
}

/** Removes `_cid` from every item an answer holds. */
function strip(output: Attributes): void {
  const drop = (item: unknown) => void (item && typeof item === "object" && delete (item as Attributes)[CORRELATION_ATTRIBUTE]);
  drop(output.Item);
  drop(output.Attributes);
  for (const item of (output.Items as unknown[] | undefined) ?? []) drop(item);
  for (const items of Object.values((output.Responses as Record<string, unknown[]> | unknown[] | undefined) ?? {}))
    for (const item of Array.isArray(items) ? items : [(items as { Item?: unknown })?.Item]) drop(item);
}

const meteredClients = new WeakSet<DynamoDBClient>();

/** Adds the middleware to `client`, once. */
export function meterClient(client: DynamoDBClient): void {
  if (meteredClients.has(client)) return;
  meteredClients.add(client);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName);
      const inv = currentInvocation();
      if (!inv) {
        const result = await next(args);
        strip(result.output as unknown as Attributes);
        return result;
      }
      inv.requests++;
      const write = WRITES.has(command);
      if (!write && !READS.has(command)) return next(args);
      let input = args.input as Attributes;
      if (input.ReturnConsumedCapacity === undefined) input = { ...input, ReturnConsumedCapacity: "TOTAL" };
      if (write) input = withCorrelation(command, input, inv);
      const result = await next({ ...args, input });
      const output = result.output as unknown as Attributes & { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] };
      const consumed = output.ConsumedCapacity;
      let units = 0;
      for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) units += c.CapacityUnits ?? 0;
      if (write) inv.writeUnits += units;
      else inv.readUnits += units;
      strip(output);
      return result;
    },
    { step: "initialize", name: "request-meter" },
  );
}
