/**
 * A scheduled job: checks the member counts against a recount, within the
 * time the invocation has (src/app/audit.ts). Fails, and so fires its
 * error alarm, when a count is wrong. `make invoke NAME=memberCountAudit` runs it now.
 */
import type { Context } from "aws-lambda";
import { connect, defineFunction } from "@dynamodb-starter/kit/runtime";
import { migrations } from "../app/migrations";
import { auditMemberCounts } from "../app/audit";

export async function handler(_event: unknown, context: Pick<Context, "getRemainingTimeInMillis">) {
  const { documentClient, tableName } = await connect({ migrations });
  const report = await auditMemberCounts({ documentClient, tableName }, { timeLeftMs: () => context.getRemainingTimeInMillis() });
  console.log(JSON.stringify({ level: "info", type: "member-count-audit", ...report }));
  if (report.drifted.length > 0) throw new Error(`${report.drifted.length} member count(s) differ from a recount: ${JSON.stringify(report.drifted)}`);
  return report;
}

export const config = defineFunction({
  trigger: { schedule: { expression: "rate(1 day)" } },
  dynamodbActions: ["DescribeTable", "GetItem", "PutItem", "Query", "Scan"],
  timeoutSeconds: 300,
});
