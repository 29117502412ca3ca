/**
 * Example app: a data migration that changes keys.
 *
 * Company names used to be keyed exactly as entered, so "ACME" and the
 * fullwidth "Ａｃｍｅ" could sit beside "Acme". They are now keyed folded
 * (NFKC, case folded). This moves every company item (profile and
 * memberships) whose key is not folded yet to the folded key, each move one
 * transaction (put the new item, delete the old one), and points the
 * memberships' byUser entries at it. Companies whose names fold to the same
 * key cannot be merged by a program: they are listed and nothing is changed.
 * Re-running it is harmless: moved items are skipped. `down` moves them back
 * to the names as entered (kept in `name` and `company`).
 */
import { ScanCommand, TransactWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type Migration, type MigrationContext } from "@dynamodb-starter/kit/migrations";

// Frozen: the key format and the folding as they were when this migration was written, copied rather than imported.
const PREFIX = "COMPANY#";
const fold = (name: string) => name.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFKC");

type Item = Record<string, unknown>;

/** Every company item (profiles and memberships), read consistently, page by page. */
async function companyItems(documentClient: DynamoDBDocumentClient, tableName: string, signal: AbortSignal): Promise<Item[]> {
  const items: Item[] = [];
  let ExclusiveStartKey: Item | undefined;
  do {
    signal.throwIfAborted();
    const page = await documentClient.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        FilterExpression: "begins_with(pk, :company)",
        ExpressionAttributeValues: { ":company": PREFIX },
        ExclusiveStartKey,
      }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** Moves each item to the company key that `targetOf(all items)` gives it, one transaction per item; returns how many moved. */
async function move({ documentClient, tableName, log, signal }: MigrationContext, targetOf: (items: Item[]) => (item: Item) => string): Promise<number> {
  const items = await companyItems(documentClient, tableName, signal);
  const target = targetOf(items);
  const moves = items.filter((item) => `${PREFIX}${target(item)}` !== item.pk);

  // Two companies whose profiles land on one key would merge: refuse before writing anything.
  const profiles = new Map<string, string[]>();
  for (const item of items.filter((i) => i.sk === "PROFILE")) {
    const to = `${PREFIX}${target(item)}`;
    profiles.set(to, [...(profiles.get(to) ?? []), String(item.pk).slice(PREFIX.length)]);
  }
  const clashes = [...profiles].filter(([, names]) => names.length > 1);
  if (clashes.length > 0) {
    throw new Error(
      `companies would merge under one key: ${clashes.map(([key, names]) => `${names.map((n) => `"${n}"`).join(" and ")} -> "${key.slice(PREFIX.length)}"`).join("; ")}. ` +
        "Rename or merge them by hand, then run the migrations again. Nothing was changed.",
    );
  }

  for (const item of moves) {
    signal.throwIfAborted();
    const pk = `${PREFIX}${target(item)}`;
    const moved = { ...item, pk, ...(typeof item.gsi1sk === "string" ? { gsi1sk: pk } : {}) };
    await documentClient.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tableName, Item: moved, ConditionExpression: "attribute_not_exists(pk)" } },
          { Delete: { TableName: tableName, Key: { pk: item.pk, sk: item.sk } } },
        ],
      }),
    );
  }
  log(`moved ${moves.length} company item(s)`);
  return moves.length;
}

export const companyKeysFolded: Migration = {
  name: "0005-company-keys-folded",
  // A contract: the previous release looks companies up by their names as entered, the keys this moves. A deploy applies it once the new code takes all traffic.
  kind: "contract",

  async up({ context }) {
    await move(context, () => (item) => fold(String(item.pk).slice(PREFIX.length)));
  },

  /** Back to the name as entered on the company's profile; a membership without a profile keeps the name it was added with. */
  async down({ context }) {
    await move(context, (items) => {
      const names = new Map(items.filter((i) => i.sk === "PROFILE").map((i) => [i.pk, String(i.name)]));
      return (item) => names.get(item.pk) ?? String(item.company);
    });
  },
};
