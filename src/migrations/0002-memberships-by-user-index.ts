/**
 * Schema migration: adds the byUser index (gsi1pk/gsi1sk), the inverted
 * index that finds a user's memberships. It waits until the index is ACTIVE
 * and done backfilling, so the code deployed after the pre-step can query it.
 */
import { addGlobalSecondaryIndex, removeGlobalSecondaryIndex } from "../db/globalSecondaryIndex";
import type { Migration } from "../db/migration";
import { BY_USER_INDEX } from "../model";

export const membershipsByUserIndex: Migration = {
  name: "0002-memberships-by-user-index",

  async up({ context: { client, tableName, log } }) {
    await addGlobalSecondaryIndex({
      client,
      tableName,
      log,
      index: { name: BY_USER_INDEX, partitionKey: { name: "gsi1pk", type: "S" }, sortKey: { name: "gsi1sk", type: "S" } },
    });
  },

  async down({ context: { client, tableName, log } }) {
    await removeGlobalSecondaryIndex({ client, tableName, indexName: BY_USER_INDEX, log });
  },
};
