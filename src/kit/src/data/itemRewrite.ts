/**
 * One item of a backfill, rewritten without losing anyone else's write.
 *
 * The transform sees the scanned item through a Proxy that notes which
 * attributes it reads. Only what it changed is written (`SET`/`REMOVE` of
 * top-level attributes, one UpdateItem: one write unit for an item up to
 * 1 KB), conditioned on the item still existing, on every attribute it read
 * being as it was, and on the backfill's filter still holding. When the
 * condition fails, a consistent GetItem reads the item as it is now and the
 * transform runs again on that: a concurrent update is kept, a deleted item
 * stays deleted, and an item that no longer matches the filter is left alone.
 */
import { isDeepStrictEqual } from "node:util";
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient, type ScanCommandInput } from "@aws-sdk/lib-dynamodb";
import { ConfigError, isConditionalCheckFailed, ItemRewriteError } from "../errors";
import { PARTITION_KEY, SORT_KEY } from "../table/keySchema";
import { backoffDelay, sleep } from "./backoff";
import { isThrottling, type WriteBudget } from "./writeBudget";

export type Item = Record<string, unknown>;
export type Transform = (item: Item) => Item | undefined;
export type Filter = Pick<ScanCommandInput, "FilterExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues">;

/** What happened to one item: written, left as it was (the transform changed nothing), deleted by someone else, or out of the filter's reach now. */
export type Outcome = "written" | "unchanged" | "gone" | "skipped";

export interface RewriteResult {
  outcome: Outcome;
  /** Conditions that failed because the item changed meanwhile, and throttled attempts. */
  retries: number;
  /** Write capacity units DynamoDB reports for the successful write. */
  writeUnits: number;
}

export interface RewriteOptions {
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  transform: Transform;
  filter?: Filter | undefined;
  budget?: WriteBudget | undefined;
  /** Checked before every write: once it is aborted (the migration lock was lost), nothing more is written. */
  signal?: AbortSignal | undefined;
  /** Attempts before giving up on an item that keeps changing under us (or throttling). */
  maxAttempts?: number;
}

/** The item's name in errors and logs. */
const keyOf = (item: Item) => ({ [PARTITION_KEY]: item[PARTITION_KEY], [SORT_KEY]: item[SORT_KEY] });

/**
 * A read-only view of `item` and the attributes read through it. Listing the
 * attributes (a spread, `Object.keys`) reads every one of them.
 */
export function trackReads(item: Item): { view: Item; read: Set<string> } {
  const read = new Set<string>();
  const note = (name: string | symbol) => typeof name === "string" && read.add(name);
  const view = new Proxy(item, {
    get: (target, name) => (note(name), Reflect.get(target, name)),
    has: (target, name) => (note(name), Reflect.has(target, name)),
    getOwnPropertyDescriptor: (target, name) => (note(name), Reflect.getOwnPropertyDescriptor(target, name)),
    ownKeys: (target) => (Object.keys(target).forEach(note), Reflect.ownKeys(target)),
    set: () => false,
    deleteProperty: () => false,
    defineProperty: () => false,
  });
  return { view, read };
}

/** The top-level attributes `after` sets or removes compared with `before`; an attribute set to undefined counts as removed. */
export function changes(before: Item, after: Item): { set: Item; remove: string[] } {
  const set: Item = {};
  for (const [name, value] of Object.entries(after)) {
    if (value !== undefined && !isDeepStrictEqual(before[name], value)) set[name] = value;
  }
  const remove = Object.keys(before).filter((name) => before[name] !== undefined && after[name] === undefined);
  return { set, remove };
}

/** The UpdateItem that writes `change` to the item at `key` if it exists, `read` attributes are as in `seen`, and `filter` holds. */
export function conditionalUpdate(tableName: string, seen: Item, read: Iterable<string>, change: { set: Item; remove: string[] }, filter?: Filter) {
  const names: Record<string, string> = { "#_pk": PARTITION_KEY };
  const values: Item = {};
  const name = (attribute: string, placeholder: string) => ((names[placeholder] = attribute), placeholder);
  const sets = Object.entries(change.set).map(([attribute, value], i) => `${name(attribute, `#_s${i}`)} = ${((values[`:_s${i}`] = value), `:_s${i}`)}`);
  const removes = change.remove.map((attribute, i) => name(attribute, `#_r${i}`));
  const conditions = ["attribute_exists(#_pk)"];
  for (const [i, attribute] of [...read].filter((a) => a !== PARTITION_KEY && a !== SORT_KEY).entries()) {
    const placeholder = name(attribute, `#_c${i}`);
    if (seen[attribute] === undefined) conditions.push(`attribute_not_exists(${placeholder})`);
    else conditions.push(`${placeholder} = ${((values[`:_c${i}`] = seen[attribute]), `:_c${i}`)}`);
  }
  if (filter?.FilterExpression) conditions.push(`(${filter.FilterExpression})`);
  const clash = Object.keys({ ...filter?.ExpressionAttributeNames, ...filter?.ExpressionAttributeValues }).find(
    (p) => p.startsWith("#_") || p.startsWith(":_"),
  );
  if (clash)
    throw new ConfigError(`a backfill filter may not use placeholders starting with "#_" or ":_" (found "${clash}"): the backfill's own conditions use them`);
  return new UpdateCommand({
    TableName: tableName,
    Key: keyOf(seen),
    UpdateExpression: [sets.length ? `SET ${sets.join(", ")}` : "", removes.length ? `REMOVE ${removes.join(", ")}` : ""].join(" ").trim(),
    ConditionExpression: conditions.join(" AND "),
    ExpressionAttributeNames: { ...names, ...filter?.ExpressionAttributeNames },
    ...(Object.keys(values).length || filter?.ExpressionAttributeValues
      ? { ExpressionAttributeValues: { ...values, ...filter?.ExpressionAttributeValues } }
      : {}),
    ReturnConsumedCapacity: "TOTAL",
  });
}

/** Rewrites one scanned item as `transform` says; see the module comment for what the condition guarantees. */
export async function rewriteItem(options: RewriteOptions, scanned: Item): Promise<RewriteResult> {
  const { documentClient, tableName, transform, filter, budget, signal, maxAttempts = 10 } = options;
  let item = scanned;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    signal?.throwIfAborted();
    const { view, read } = trackReads(item);
    const next = transform(view);
    if (next === undefined) return { outcome: "unchanged", retries: attempt, writeUnits: 0 };
    const change = changes(item, next);
    if (change.set[PARTITION_KEY] !== undefined || change.set[SORT_KEY] !== undefined || change.remove.some((a) => a === PARTITION_KEY || a === SORT_KEY)) {
      throw new ConfigError(`a backfill's transform may not change an item's key (${JSON.stringify(keyOf(item))}): move items in a migration's up instead`);
    }
    if (Object.keys(change.set).length === 0 && change.remove.length === 0) return { outcome: "unchanged", retries: attempt, writeUnits: 0 };
    await budget?.take(1);
    signal?.throwIfAborted();
    try {
      const { ConsumedCapacity } = await documentClient.send(conditionalUpdate(tableName, item, read, change, filter));
      return { outcome: "written", retries: attempt, writeUnits: ConsumedCapacity?.CapacityUnits ?? 0 };
    } catch (error) {
      if (isThrottling(error)) {
        budget?.throttled();
        await sleep(backoffDelay(attempt, 50, 5_000));
        continue;
      }
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const { Item: now } = await documentClient.send(new GetCommand({ TableName: tableName, Key: keyOf(item), ConsistentRead: true }));
    if (!now) return { outcome: "gone", retries: attempt + 1, writeUnits: 0 };
    // What the transform read is unchanged, so the filter is what failed: the item is out of this backfill's reach now.
    if ([...read].every((a) => isDeepStrictEqual(now[a], item[a]))) {
      if (filter?.FilterExpression) return { outcome: "skipped", retries: attempt + 1, writeUnits: 0 };
      throw new ItemRewriteError(
        keyOf(item),
        "the condition failed although the attributes it read are unchanged (a number with more digits than JavaScript keeps?)",
      );
    }
    item = now;
  }
  throw new ItemRewriteError(keyOf(item), `it changed or was throttled on each of ${maxAttempts} attempts`);
}
