/**
 * The one table of the single-table design: its key schema, how it is
 * created, and the partition reserved for migration bookkeeping.
 */
import type { AttributeDefinition, CreateTableCommandInput, KeySchemaElement } from "@aws-sdk/client-dynamodb";
import { TableKeySchemaMismatchError } from "../errors";

/** Partition and sort key attribute names; every entity builds its keys into these. */
export const PARTITION_KEY = "pk";
export const SORT_KEY = "sk";

/** Reserved partition holding one item per executed migration and the migration lock. */
export const MIGRATIONS_PARTITION = "_migrations";

/** The key schema this template expects, in DynamoDB's own words. */
export const EXPECTED_KEY_SCHEMA: readonly KeySchemaElement[] = [
  { AttributeName: PARTITION_KEY, KeyType: "HASH" },
  { AttributeName: SORT_KEY, KeyType: "RANGE" },
];

type Attributes = readonly AttributeDefinition[] | undefined;
const TYPE_NAMES: Record<string, string> = { S: "string", N: "number", B: "binary" };
const typeOf = (attributes: Attributes, name: string | undefined) => attributes?.find((a) => a.AttributeName === name)?.AttributeType;

/** Renders a key schema as `(pk HASH, sk RANGE)` for error messages; a key that is not a string says its type (`pk HASH number`). */
export function describeKeySchema(schema: readonly KeySchemaElement[] | undefined, attributes?: Attributes): string {
  if (!schema || schema.length === 0) return "(no key schema)";
  const type = (name: string | undefined) => {
    const t = typeOf(attributes, name);
    return t && t !== "S" ? ` ${TYPE_NAMES[t] ?? t}` : "";
  };
  return `(${schema.map((k) => `${k.AttributeName} ${k.KeyType}${type(k.AttributeName)}`).join(", ")})`;
}

/** True when `schema` is exactly `pk HASH, sk RANGE`, whatever order DynamoDB lists them in, and both are strings where the types are known. */
export function hasExpectedKeySchema(schema: readonly KeySchemaElement[] | undefined, attributes?: Attributes): boolean {
  if (!schema || schema.length !== EXPECTED_KEY_SCHEMA.length) return false;
  return EXPECTED_KEY_SCHEMA.every((want) =>
    schema.some((k) => k.AttributeName === want.AttributeName && k.KeyType === want.KeyType && (typeOf(attributes, k.AttributeName) ?? "S") === "S"),
  );
}

/** CreateTable input: string keys, on-demand billing, the given tags. */
export function createTableInput(tableName: string, tags: Record<string, string> = {}): CreateTableCommandInput {
  const tagList = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: PARTITION_KEY, AttributeType: "S" },
      { AttributeName: SORT_KEY, AttributeType: "S" },
    ],
    KeySchema: [...EXPECTED_KEY_SCHEMA],
    BillingMode: "PAY_PER_REQUEST",
    ...(tagList.length > 0 ? { Tags: tagList } : {}),
  };
}

/** Throws `TableKeySchemaMismatchError` unless the table has the expected key schema. */
export function assertKeySchema(
  tableName: string,
  table: { KeySchema?: KeySchemaElement[] | undefined; AttributeDefinitions?: AttributeDefinition[] | undefined },
): void {
  if (!hasExpectedKeySchema(table.KeySchema, table.AttributeDefinitions)) {
    throw new TableKeySchemaMismatchError(
      tableName,
      describeKeySchema(table.KeySchema, table.AttributeDefinitions),
      `${describeKeySchema(EXPECTED_KEY_SCHEMA)}, both strings`,
    );
  }
}
