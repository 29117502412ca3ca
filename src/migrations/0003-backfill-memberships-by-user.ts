/**
 * Data migration: memberships written before the byUser index existed lack
 * gsi1pk/gsi1sk, so the index cannot see them. This writes both attributes
 * onto every such membership; `down` removes them again.
 */
import { backfill } from "../db/backfill";
import type { Migration } from "../db/migration";
import { keys } from "../model";

const isMembership = {
  FilterExpression: "begins_with(pk, :company) AND begins_with(sk, :member)",
  ExpressionAttributeValues: { ":company": keys.COMPANY_PREFIX, ":member": keys.MEMBER_PREFIX },
};

export const backfillMembershipsByUser: Migration = {
  name: "0003-backfill-memberships-by-user",

  async up({ context: { documentClient, tableName, log } }) {
    await backfill({
      documentClient,
      tableName,
      log,
      filter: { ...isMembership, FilterExpression: `${isMembership.FilterExpression} AND attribute_not_exists(gsi1pk)` },
      transform: (item) => ({ ...item, ...keys.membershipByUser(String(item.company), String(item.email)) }),
    });
  },

  async down({ context: { documentClient, tableName, log } }) {
    await backfill({
      documentClient,
      tableName,
      log,
      filter: { ...isMembership, FilterExpression: `${isMembership.FilterExpression} AND attribute_exists(gsi1pk)` },
      transform: ({ gsi1pk: _pk, gsi1sk: _sk, ...item }) => item,
    });
  },
};
