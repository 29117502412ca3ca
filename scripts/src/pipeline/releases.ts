/**
 * What each deployment has released, kept in its own table (a reserved partition, `_releases`, that stream consumers
 * skip): per release, the version each function went live with and the migrations the table had run once it was
 * fully live. `make rollback` reads it: back to the release before the current one, unless a contract migration has
 * run since then (the older code would read what it removed or rewrote).
 *
 * Records are numbered, not timed: each is put under the next number with a condition that it is new, so two
 * deploys never write the same one and no clock decides the order.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { migrator } from "@dynamodb-starter/kit/ops";
import { StarterError, type Migration } from "@dynamodb-starter/kit/runtime";

export const RELEASES_PARTITION = "_releases";

export interface ReleaseRecord {
  seq: number;
  /** Function (handler name) -> what went live: a Lambda version on AWS, a build's folder locally. */
  versions: Record<string, string>;
  /** The migrations executed once this release took all traffic. */
  migrations: string[];
  /** When it went live, for people: nothing is ordered by it. */
  at: string;
  /** Set by a rollback past it. */
  rolledBack?: boolean;
  /** A release made by rolling back: the release it went back from. */
  rollbackOf?: number;
}

const sk = (seq: number) => String(seq).padStart(10, "0");

export class RollbackError extends StarterError<"ROLLBACK"> {
  override name = "RollbackError";
  constructor(message: string) {
    super("ROLLBACK", message);
  }
}

/** Every release of the deployment, newest first. */
export async function releaseHistory(db: DynamoDBDocumentClient, tableName: string): Promise<ReleaseRecord[]> {
  const records: ReleaseRecord[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": RELEASES_PARTITION },
        ScanIndexForward: false,
        ConsistentRead: true,
        ExclusiveStartKey,
      }),
    );
    records.push(...((page.Items ?? []) as ReleaseRecord[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return records;
}

/** Records a release under the next number; another deploy taking that number first means trying the next. */
export async function recordRelease(db: DynamoDBDocumentClient, tableName: string, release: Omit<ReleaseRecord, "seq" | "at">): Promise<ReleaseRecord> {
  for (;;) {
    const [latest] = await releaseHistory(db, tableName);
    const record: ReleaseRecord = { ...release, seq: (latest?.seq ?? 0) + 1, at: new Date().toISOString() };
    try {
      await db.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk: RELEASES_PARTITION, sk: sk(record.seq), ...record },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return record;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

/**
 * Where `make rollback` goes: from the newest release not rolled back to the one before it. Refused, naming it, when
 * a contract migration has run since that release; otherwise the expand migrations that stay applied are listed
 * (the older release ignores them: make test-compat checks that).
 */
export function rollbackPlan(
  history: readonly ReleaseRecord[],
  executed: readonly string[],
  migrations: readonly Migration[],
): { from: ReleaseRecord; to: ReleaseRecord; staying: string[] } {
  const live = history.filter((r) => !r.rolledBack);
  const [from, to] = live;
  if (!from) throw new RollbackError("this deployment has no release on record: deploy first.");
  if (!to) throw new RollbackError(`release ${from.seq} (${from.at}) is the first on record: there is nothing to roll back to.`);
  const since = executed.filter((name) => !to.migrations.includes(name));
  const kinds = new Map(migrations.map((m) => [m.name, m.kind ?? "expand"]));
  const contracts = since.filter((name) => kinds.get(name) !== "expand");
  if (contracts.length) {
    throw new RollbackError(
      `cannot roll back to release ${to.seq} (${to.at}): ${contracts.map((name) => `${name} is ${kinds.has(name) ? "a contract" : "not in this code's migration index"}`).join(", ")}, ` +
        `run since that release, changes what its code reads. Nothing was changed. Fix forward: deploy a release that works on the table as it is.`,
    );
  }
  return { from, to, staying: since };
}

/** Marks `record` rolled back, unless another rollback did first. */
export async function markRolledBack(db: DynamoDBDocumentClient, tableName: string, record: ReleaseRecord): Promise<void> {
  try {
    await db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: RELEASES_PARTITION, sk: sk(record.seq) },
        UpdateExpression: "SET rolledBack = :t",
        ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(rolledBack)",
        ExpressionAttributeValues: { ":t": true },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException)
      throw new RollbackError(`release ${record.seq} was rolled back meanwhile by another run: nothing was changed.`);
    throw error;
  }
}

/**
 * `make rollback`, whatever ships the code: plans from the table's releases and migrations, lets `move` put every
 * function back on the older release's code (aliases on AWS, the routing file and triggered functions locally), then
 * records the rollback and says which migrations stay applied.
 */
export async function rollBack(
  {
    client,
    db,
    tableName,
    migrations,
    log,
  }: { client: DynamoDBClient; db: DynamoDBDocumentClient; tableName: string; migrations: readonly Migration[]; log: (line: string) => void },
  move: (plan: { from: ReleaseRecord; to: ReleaseRecord }) => Promise<void>,
): Promise<void> {
  const { executed } = await migrator({ client, documentClient: db, tableName, migrations }).status();
  const { from, to, staying } = rollbackPlan(await releaseHistory(db, tableName), executed, migrations);
  await move({ from, to });
  await markRolledBack(db, tableName, from);
  log(
    staying.length
      ? `rolled back. These expand migrations stay applied (the older release ignores what they add): ${staying.join(", ")}`
      : "rolled back; no migration ran since that release",
  );
}
