/**
 * Data migration: writes the application's settings item, which later code
 * reads instead of hard-coding limits. Re-running it is harmless (the put is
 * conditional), and `down` deletes exactly the item `up` wrote.
 */
import { DeleteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailed } from "../db/errors";
import type { Migration } from "../db/migration";

export const SETTINGS_KEY = { pk: "_settings", sk: "app" } as const;

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
