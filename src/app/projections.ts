/**
 * Example app: a projection kept from the table's stream, which you will
 * most likely replace with your own (counters, search documents, audit trails).
 *
 * A company's member count, on its STATS item: +1 when a membership item
 * appears, -1 when one goes (a user deleted with their memberships), nothing
 * when one changes. The kit applies these writes once per stream record,
 * with the record's marker, so a redelivered batch counts nothing twice.
 */
import type { StreamChange, StreamWrite } from "@dynamodb-starter/kit/runtime";
import { keys } from "./model";

const MEMBERSHIP_KEY = /^COMPANY#[^#]+$/;

export class NotAMembershipError extends Error {
  override name = "NotAMembershipError";
}

/** The writes one stream record makes to the member counts. */
export function memberCountWrites(change: StreamChange, { tableName }: { tableName: string }): StreamWrite[] {
  const { pk, sk } = change.keys as { pk?: unknown; sk?: unknown };
  if (typeof sk !== "string" || !sk.startsWith(keys.MEMBER_PREFIX) || change.event === "MODIFY") return [];
  // A membership item written past the service (by hand, by an old migration) that this code cannot count: refused,
  // so it goes to the failure destination instead of being counted wrong.
  const email = sk.slice(keys.MEMBER_PREFIX.length);
  if (typeof pk !== "string" || !MEMBERSHIP_KEY.test(pk) || !email.includes("@"))
    throw new NotAMembershipError(`no membership has the key ${String(pk)} / ${sk}`);
  return [
    {
      Update: {
        TableName: tableName,
        Key: keys.companyStats(pk),
        UpdateExpression: "ADD memberCount :delta",
        ExpressionAttributeValues: { ":delta": change.event === "INSERT" ? 1 : -1 },
      },
    },
  ];
}
