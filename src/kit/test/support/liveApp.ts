/**
 * The previous code still serving while a backfill runs, as a separate
 * process: `node liveApp.js <endpoint> <table> <items> <writers>`.
 *
 * Items are `ITEM#<i>` (sk "A") in the old shape. Each writer loop picks a
 * random item and adds 1 to its counter `n` (only if the item exists), except
 * that every 50th write deletes it (the first write of all is one) and every
 * 50th, 25 later, creates a new old-shape item `ITEM#new-<pid>-<k>`: a fixed
 * share whatever the machine's speed. It prints "ready" after its first
 * acknowledged write, and on SIGTERM finishes its requests in flight and
 * prints what DynamoDB acknowledged: increments per item, deleted and
 * created keys. Only acknowledged writes are counted, so the table must hold
 * every one of them afterwards.
 */
import { DeleteCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { createClient, createDocumentClient } from "../../src/runtime/clients";
import { isConditionalCheckFailed } from "../../src/errors";
import { LOCAL_REGION } from "../../src/runtime/config";

async function main(): Promise<void> {
  const [endpoint, tableName, items, writers] = process.argv.slice(2);
  if (!endpoint || !tableName || !items || !writers) throw new Error("usage: liveApp.js <endpoint> <table> <items> <writers>");
  const documentClient = createDocumentClient(createClient({ region: LOCAL_REGION, endpoint }));
  const live = Array.from({ length: Number(items) }, (_, i) => `ITEM#${i}`);
  const increments: Record<string, number> = {};
  const deleted: string[] = [];
  const created: string[] = [];
  let nextNew = 0;
  let steps = 0;
  let stopping = false;
  let ready = false;
  process.on("SIGTERM", () => (stopping = true));

  const acknowledged = () => {
    if (!ready) process.stdout.write("ready\n");
    ready = true;
  };

  const step = async () => {
    const turn = steps++ % 50;
    if (turn === 25) {
      const k = nextNew++;
      const pk = `ITEM#new-${process.pid}-${k}`;
      await documentClient.send(
        new PutCommand({ TableName: tableName, Item: { pk, sk: "A", n: 0, name: `created ${k}` }, ConditionExpression: "attribute_not_exists(pk)" }),
      );
      created.push(pk);
      live.push(pk);
      return acknowledged();
    }
    const pk = live[Math.floor(Math.random() * live.length)]!;
    if (turn === 0) {
      live.splice(live.indexOf(pk), 1);
      await documentClient.send(new DeleteCommand({ TableName: tableName, Key: { pk, sk: "A" } }));
      deleted.push(pk);
      return acknowledged();
    }
    try {
      await documentClient.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk, sk: "A" },
          UpdateExpression: "ADD n :one",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeValues: { ":one": 1 },
        }),
      );
      increments[pk] = (increments[pk] ?? 0) + 1;
      acknowledged();
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error; // deleted by another of our loops meanwhile
    }
  };

  await Promise.all(
    Array.from({ length: Number(writers) }, async () => {
      while (!stopping) await step();
    }),
  );
  process.stdout.write(`${JSON.stringify({ increments, deleted, created })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
