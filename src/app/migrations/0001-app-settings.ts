/**
 * Example app: a data migration, kept to show the pattern.
 *
 * Writes one settings item (`pk = "_settings"`, `sk = "app"`) recording the
 * page size limit the example was built with. Nothing reads it yet: it shows
 * the shape of a data migration whose re-run is harmless (the put is
 * conditional) and whose `down` deletes exactly the item `up` wrote. Code
 * that wants to read settings from the table should read them once per cold
 * start, as connect() reads the migrations.
 */
import { DeleteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailed, type Migration } from "@dynamodb-starter/kit/migrations";

// Frozen: copied, never imported, so that later code cannot change what this migration does.
const SETTINGS_KEY = { pk: "_settings", sk: "app" } as const;

export const appSettings: Migration = {
  name: "0001-app-settings",

  async up({ context: { documentClient, tableName } }) {
    try {
      await documentClient.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...SETTINGS_KEY, maxPageSize: 100, createdAt: new Date().toISOString() },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  },

  async down({ context: { documentClient, tableName } }) {
    await documentClient.send(new DeleteCommand({ TableName: tableName, Key: SETTINGS_KEY }));
  },
};
