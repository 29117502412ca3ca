/**
 * Example app: a schema migration.
 *
 * Adds the byUser index (gsi1pk/gsi1sk), the inverted index that finds a
 * user's memberships. It waits until the index is ACTIVE and done
 * backfilling, so the code deployed after the pre-step can query it.
 */
import type { Migration } from "@dynamodb-starter/kit/migrations";

// Frozen: copied from the model as it was, so that renaming things there later cannot change this migration.
const INDEX = "byUser";

export const membershipsByUserIndex: Migration = {
  name: "0002-memberships-by-user-index",

  async up({ context }) {
    await context.addGlobalSecondaryIndex({ name: INDEX, partitionKey: { name: "gsi1pk", type: "S" }, sortKey: { name: "gsi1sk", type: "S" } });
  },

  async down({ context }) {
    await context.removeGlobalSecondaryIndex(INDEX);
  },
};
