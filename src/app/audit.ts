/**
 * Example app: a scheduled job, which you will most likely replace with your
 * own (cleanups, reports, reconciliations).
 *
 * Checks every company's member count (the stream's projection) against a
 * recount of its memberships. It scans for companies page by page while
 * time is left, keeps its place on a job item so that the next run carries
 * on where this one stopped, and starts over once it has seen every company.
 * A count that still differs on a second look, after the stream has had time
 * to catch up, fails the run: the function's error alarm fires.
 */
import { GetCommand, PutCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { keys } from "./model";

const JOB = { pk: "JOB#memberCountAudit", sk: "CURSOR" };

export interface AuditOptions {
  /** Milliseconds the run has left (Lambda's context.getRemainingTimeInMillis). */
  timeLeftMs: () => number;
  /** Stop taking a new page with less than this left. */
  reserveMs?: number;
  /** How long to give the stream before looking again at a count that differs. */
  recheckAfterMs?: number;
  pageSize?: number;
}

export interface AuditReport {
  checked: number;
  /** True when the scan reached the last company (the next run starts over). */
  complete: boolean;
  /** Companies whose count still differed on the second look. */
  drifted: { company: string; counted: number; projected: number }[];
}

export async function auditMemberCounts(
  { documentClient, tableName }: { documentClient: DynamoDBDocumentClient; tableName: string },
  { timeLeftMs, reserveMs = 10_000, recheckAfterMs = 5_000, pageSize = 100 }: AuditOptions,
): Promise<AuditReport> {
  const saved = await documentClient.send(new GetCommand({ TableName: tableName, Key: JOB, ConsistentRead: true }));
  let startKey = saved.Item?.lastKey as Record<string, unknown> | undefined;
  const suspects: string[] = [];
  let checked = 0;
  let complete = false;

  while (timeLeftMs() > reserveMs) {
    const page = await documentClient.send(
      new ScanCommand({
        TableName: tableName,
        Limit: pageSize,
        ExclusiveStartKey: startKey,
        FilterExpression: "begins_with(pk, :company) AND sk = :profile",
        ExpressionAttributeValues: { ":company": "COMPANY#", ":profile": "PROFILE" },
        ProjectionExpression: "pk",
      }),
    );
    for (const { pk } of page.Items ?? []) {
      checked++;
      const { counted, projected } = await counts(documentClient, tableName, String(pk));
      if (counted !== projected) suspects.push(String(pk));
    }
    startKey = page.LastEvaluatedKey;
    if (!startKey) {
      complete = true;
      break;
    }
  }
  await documentClient.send(new PutCommand({ TableName: tableName, Item: { ...JOB, ...(startKey ? { lastKey: startKey } : {}) } }));

  const drifted: AuditReport["drifted"] = [];
  if (suspects.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(recheckAfterMs, Math.max(0, timeLeftMs() - reserveMs))));
    for (const pk of suspects) {
      const { counted, projected } = await counts(documentClient, tableName, pk);
      if (counted !== projected) drifted.push({ company: pk.slice("COMPANY#".length), counted, projected });
    }
  }
  return { checked, complete, drifted };
}

async function counts(documentClient: DynamoDBDocumentClient, tableName: string, companyPartition: string) {
  let counted = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :member)",
        ExpressionAttributeValues: { ":pk": companyPartition, ":member": keys.MEMBER_PREFIX },
        Select: "COUNT",
        ExclusiveStartKey,
      }),
    );
    counted += page.Count ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  const stats = await documentClient.send(new GetCommand({ TableName: tableName, Key: keys.companyStats(companyPartition) }));
  return { counted, projected: Number(stats.Item?.memberCount ?? 0) };
}
