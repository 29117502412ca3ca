/**
 * Example app: a data migration over existing items.
 *
 * Memberships written before the byUser index existed lack gsi1pk/gsi1sk,
 * so the index cannot see them. This writes both attributes onto every such
 * membership; `down` removes them again.
 */
import { type Migration } from "@dynamodb-starter/kit/migrations";

// Frozen: the key formats as they were when this migration was written, copied rather than imported.
const COMPANY_PREFIX = "COMPANY#";
const MEMBER_PREFIX = "MEMBER#";
const byUserKeys = (company: string, email: string) => ({ gsi1pk: `USER#${email}`, gsi1sk: `${COMPANY_PREFIX}${company}` });

const memberships = (extra: string) => ({
  FilterExpression: `begins_with(pk, :company) AND begins_with(sk, :member) AND ${extra}`,
  ExpressionAttributeValues: { ":company": COMPANY_PREFIX, ":member": MEMBER_PREFIX },
});

export const backfillMembershipsByUser: Migration = {
  name: "0003-backfill-memberships-by-user",

  // Declared, not called from up: workers on other machines can share it (make migrate WORKERS=n).
  backfill: {
    filter: memberships("attribute_not_exists(gsi1pk)"),
    transform: (item) => ({ ...item, ...byUserKeys(String(item.company), String(item.email)) }),
  },

  async down({ context }) {
    const transform = ({ gsi1pk: _pk, gsi1sk: _sk, ...item }: Record<string, unknown>) => item;
    await context.backfill({ filter: memberships("attribute_exists(gsi1pk)"), transform });
  },
};
