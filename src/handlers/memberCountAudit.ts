/**
 * A scheduled job: checks the member counts against a recount, within the
 * time the invocation has (src/app/audit.ts). Fails, and so fires its
 * error alarm, when a count is wrong. `make invoke NAME=memberCountAudit` runs it now.
 */
import { createScheduledHandler, defineFunction } from "@dynamodb-starter/kit/runtime";
import { migrations } from "../app/migrations";
import { auditMemberCounts } from "../app/audit";

export const handler = createScheduledHandler({
  migrations,
  async run({ documentClient, tableName }, { timeLeftMs, log }) {
    const report = await auditMemberCounts({ documentClient, tableName }, { timeLeftMs });
    log.info("member count audit", { checked: report.checked, complete: report.complete, drifted: report.drifted.length });
    if (report.drifted.length > 0) throw new Error(`${report.drifted.length} member count(s) differ from a recount: ${JSON.stringify(report.drifted)}`);
    return report;
  },
});

export const config = defineFunction({
  trigger: { schedule: { expression: "rate(1 day)" } },
  dynamodbActions: ["DescribeTable", "GetItem", "PutItem", "Query", "Scan"],
  timeoutSeconds: 300,
});
