/**
 * Pre-step, part 2: bring the table's declared settings (point-in-time
 * recovery, deletion protection, TTL, stream, encryption, on-demand maximum, tags) in line and report
 * each one. Runs with the deployer's credentials after ensureTable().
 * With `apply: false` it only reports drift.
 */
import {
  DescribeContinuousBackupsCommand,
  DescribeTimeToLiveCommand,
  ListTagsOfResourceCommand,
  TagResourceCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
} from "@aws-sdk/client-dynamodb";
import { pollUntil } from "../data/backoff";
import { describeTable } from "./describeTable";
import { TableNotFoundError } from "../errors";

/** What each stream record carries besides the keys: stream consumers that compare before and after need NEW_AND_OLD_IMAGES. */
export type StreamViewType = "NEW_AND_OLD_IMAGES" | "NEW_IMAGE" | "OLD_IMAGE" | "KEYS_ONLY";

/** Encryption at rest: DynamoDB's own key, the AWS managed KMS key (aws/dynamodb), or a KMS key ARN of yours. */
export type Encryption = "aws-owned" | "aws-managed" | { kmsKeyArn: string };

/** Declared settings; a setting left undefined is not managed. */
export interface TableSettings {
  pointInTimeRecovery?: boolean;
  deletionProtection?: boolean;
  /** Attribute holding the expiry epoch seconds; null turns TTL off. */
  ttlAttribute?: string | null;
  /** The table's stream and what its records carry; null turns it off (its unread records go with it). */
  stream?: StreamViewType | null;
  encryption?: Encryption;
  /** The most read and write request units per second the on-demand table serves (a ceiling on its cost); null removes it. */
  onDemandMaximum?: { readRequestUnits: number; writeRequestUnits: number } | null;
  /** Added or updated; tags not declared here are reported, never removed. */
  tags?: Record<string, string>;
}

export type SettingStatus = "in sync" | "updated" | "drift" | "unsupported";

export interface SettingReport {
  setting: string;
  status: SettingStatus;
  actual: string;
  declared: string;
  note?: string;
}

export interface ReconcileOptions {
  client: DynamoDBClient;
  tableName: string;
  settings: TableSettings;
  /** false: report drift only, change nothing. */
  apply: boolean;
  log?: (message: string) => void;
}

/** An endpoint without the API (DynamoDB Local has no backups, tags or KMS). */
const isUnsupported = (error: unknown) =>
  error instanceof Error && (error.name === "UnknownOperationException" || /not (currently )?supported/i.test(error.message));

/** One declared setting: how to read it as text, and how to bring it to what is declared. */
interface Setting {
  name: string;
  declared: string;
  read(): Promise<string>;
  /** Applies it; `{ skipped }` says why it cannot be done in one step. */
  update(): Promise<unknown>;
  /** Added to the report whatever the outcome (tags not declared, say). */
  note?(): string | undefined;
}

type Context = { client: DynamoDBClient; tableName: string; table: TableDescription };
const onOff = (on: boolean | undefined) => (on ? "on" : "off");

export async function reconcileTable({ client, tableName, settings, apply, log = () => {} }: ReconcileOptions): Promise<SettingReport[]> {
  const table = await describeTable(client, tableName);
  if (!table) throw new TableNotFoundError(tableName);
  const context = { client, tableName, table };
  const reports: SettingReport[] = [];
  for (const setting of declaredSettings(context, settings)) {
    const report = await reconcileOne(setting, apply, () => waitActive(client, tableName, log));
    const note = report.status === "unsupported" ? undefined : setting.note?.();
    reports.push(note ? { ...report, note: report.note ? `${report.note}; ${note}` : note } : report);
  }
  for (const r of reports)
    log(`${r.setting}: ${r.status}${r.status === "in sync" ? ` (${r.actual})` : ` (${r.actual} -> ${r.declared})`}${r.note ? `; ${r.note}` : ""}`);
  return reports;
}

/** Compares, applies when asked and possible, and reports the outcome of one setting. */
async function reconcileOne({ name, declared, read, update }: Setting, apply: boolean, settle: () => Promise<void>): Promise<SettingReport> {
  let actual: string;
  try {
    actual = await read();
  } catch (error) {
    if (!isUnsupported(error)) throw error;
    return { setting: name, status: "unsupported", actual: "unknown", declared, note: "this endpoint does not support it; skipped" };
  }
  if (actual === declared) return { setting: name, status: "in sync", actual, declared };
  if (!apply) return { setting: name, status: "drift", actual, declared };
  try {
    const result = await update();
    if (isSkipped(result)) return { setting: name, status: "drift", actual, declared, note: result.skipped };
    await settle();
    return { setting: name, status: "updated", actual, declared };
  } catch (error) {
    if (!isUnsupported(error)) throw error;
    return { setting: name, status: "unsupported", actual, declared, note: "this endpoint cannot change it; skipped" };
  }
}

/** The settings `settings` declares, in a fixed order; an undefined one is not managed. */
function declaredSettings(context: Context, settings: TableSettings): Setting[] {
  const { pointInTimeRecovery, deletionProtection, ttlAttribute, stream, encryption, onDemandMaximum, tags } = settings;
  return [
    pointInTimeRecovery === undefined ? undefined : pitrSetting(context, pointInTimeRecovery),
    deletionProtection === undefined ? undefined : deletionProtectionSetting(context, deletionProtection),
    ttlAttribute === undefined ? undefined : ttlSetting(context, ttlAttribute),
    stream === undefined ? undefined : streamSetting(context, stream),
    encryption === undefined ? undefined : encryptionSetting(context, encryption),
    onDemandMaximum === undefined ? undefined : onDemandMaximumSetting(context, onDemandMaximum),
    tags === undefined || Object.keys(tags).length === 0 ? undefined : tagsSetting(context, tags),
  ].filter((s): s is Setting => s !== undefined);
}

function pitrSetting({ client, tableName }: Context, on: boolean): Setting {
  return {
    name: "point-in-time recovery",
    declared: onOff(on),
    read: async () => {
      const { ContinuousBackupsDescription: d } = await client.send(new DescribeContinuousBackupsCommand({ TableName: tableName }));
      return onOff(d?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus === "ENABLED");
    },
    update: () =>
      client.send(new UpdateContinuousBackupsCommand({ TableName: tableName, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: on } })),
  };
}

function deletionProtectionSetting({ client, tableName, table }: Context, on: boolean): Setting {
  return {
    name: "deletion protection",
    declared: onOff(on),
    read: async () => onOff(table.DeletionProtectionEnabled),
    update: () => client.send(new UpdateTableCommand({ TableName: tableName, DeletionProtectionEnabled: on })),
  };
}

function ttlSetting({ client, tableName }: Context, ttlAttribute: string | null): Setting {
  let current: { enabled: boolean; attribute: string | undefined } | undefined;
  return {
    name: "TTL attribute",
    declared: ttlAttribute ?? "off",
    read: async () => {
      current = await readTtl(client, tableName);
      return current.enabled ? (current.attribute ?? "unknown") : "off";
    },
    update: async () => {
      // AWS moves TTL to another attribute only through "off", and allows one change per hour.
      if (current?.enabled && ttlAttribute !== null) {
        return { skipped: `switch by hand: set ttlAttribute to null, deploy, wait an hour, then declare "${ttlAttribute}"` };
      }
      const AttributeName = ttlAttribute ?? current?.attribute ?? "ttl";
      await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName, Enabled: ttlAttribute !== null } }));
      return undefined;
    },
  };
}

function streamSetting({ client, tableName, table }: Context, view: StreamViewType | null): Setting {
  const current = table.StreamSpecification?.StreamEnabled ? (table.StreamSpecification.StreamViewType ?? "unknown") : "off";
  return {
    name: "stream",
    declared: view ?? "off",
    read: async () => current,
    update: async () => {
      // DynamoDB changes a stream's view type only by turning it off (its unread records are lost) and on again (a new ARN).
      if (current !== "off" && view !== null) {
        return { skipped: `change the view type by hand: declare null, deploy (every consumer stops reading), then declare "${view}" and deploy` };
      }
      await client.send(
        new UpdateTableCommand({ TableName: tableName, StreamSpecification: view ? { StreamEnabled: true, StreamViewType: view } : { StreamEnabled: false } }),
      );
      return undefined;
    },
  };
}

function encryptionSetting({ client, tableName, table }: Context, encryption: Encryption): Setting {
  return {
    name: "encryption",
    declared: describeEncryption(encryption),
    read: async () => currentEncryption(table),
    update: () =>
      client.send(
        new UpdateTableCommand({
          TableName: tableName,
          SSESpecification:
            encryption === "aws-owned"
              ? { Enabled: false }
              : encryption === "aws-managed"
                ? { Enabled: true, SSEType: "KMS" }
                : { Enabled: true, SSEType: "KMS", KMSMasterKeyId: encryption.kmsKeyArn },
        }),
      ),
  };
}

function onDemandMaximumSetting({ client, tableName, table }: Context, maximum: NonNullable<TableSettings["onDemandMaximum"]> | null): Setting {
  // -1 is DynamoDB's "no maximum".
  const units = (read: number | undefined, write: number | undefined) => (read && read > 0 && write && write > 0 ? `read ${read}/s, write ${write}/s` : "none");
  return {
    name: "on-demand maximum",
    declared: maximum ? units(maximum.readRequestUnits, maximum.writeRequestUnits) : "none",
    read: async () => units(table.OnDemandThroughput?.MaxReadRequestUnits, table.OnDemandThroughput?.MaxWriteRequestUnits),
    update: () =>
      client.send(
        new UpdateTableCommand({
          TableName: tableName,
          OnDemandThroughput: { MaxReadRequestUnits: maximum?.readRequestUnits ?? -1, MaxWriteRequestUnits: maximum?.writeRequestUnits ?? -1 },
        }),
      ),
  };
}

/** Tags are added or updated, never removed: those not declared are named in the report's note. */
function tagsSetting({ client, table }: Context, tags: Record<string, string>): Setting {
  const wanted = Object.entries(tags).sort(([a], [b]) => a.localeCompare(b));
  let extra: string[] = [];
  return {
    name: "tags",
    declared: wanted.map(([k, v]) => `${k}=${v}`).join(", "),
    read: async () => {
      const current = await listTags(client, table.TableArn!);
      extra = [...current.keys()].filter((k) => !(k in tags)).sort();
      return wanted
        .map(([k]) => (current.has(k) ? `${k}=${current.get(k)}` : ""))
        .filter(Boolean)
        .join(", ");
    },
    update: () => client.send(new TagResourceCommand({ ResourceArn: table.TableArn!, Tags: wanted.map(([Key, Value]) => ({ Key, Value })) })),
    note: () => (extra.length > 0 ? `also tagged ${extra.join(", ")} (left as is)` : undefined),
  };
}

const isSkipped = (value: unknown): value is { skipped: string } => typeof value === "object" && value !== null && "skipped" in value;

async function readTtl(client: DynamoDBClient, tableName: string): Promise<{ enabled: boolean; attribute: string | undefined }> {
  const { TimeToLiveDescription: d } = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  return { enabled: d?.TimeToLiveStatus === "ENABLED" || d?.TimeToLiveStatus === "ENABLING", attribute: d?.AttributeName };
}

async function listTags(client: DynamoDBClient, arn: string): Promise<Map<string, string>> {
  const tags = new Map<string, string>();
  let NextToken: string | undefined;
  do {
    const page = await client.send(new ListTagsOfResourceCommand({ ResourceArn: arn, NextToken }));
    for (const t of page.Tags ?? []) tags.set(t.Key!, t.Value!);
    NextToken = page.NextToken;
  } while (NextToken);
  return tags;
}

function describeEncryption(e: Encryption): string {
  return typeof e === "string" ? e : `kms ${e.kmsKeyArn}`;
}

function currentEncryption(table: TableDescription): string {
  const sse = table.SSEDescription;
  if (!sse || sse.Status === "DISABLED" || sse.Status === "DISABLING") return "aws-owned";
  // A key ARN ending in the aws/dynamodb alias's key is still "aws-managed"; DescribeTable does not say which, so
  // a declared CMK is compared by ARN and anything else KMS counts as aws-managed.
  return sse.KMSMasterKeyArn && !sse.KMSMasterKeyArn.includes(":alias/aws/") ? `kms ${sse.KMSMasterKeyArn}` : "aws-managed";
}

/** UpdateTable leaves the table UPDATING; the next update would fail with ResourceInUse. */
async function waitActive(client: DynamoDBClient, tableName: string, log: (m: string) => void): Promise<void> {
  await pollUntil(
    async () => {
      const t = await describeTable(client, tableName);
      return t?.TableStatus === "ACTIVE" ? { done: true, value: undefined } : { done: false, status: t?.TableStatus ?? "missing" };
    },
    { what: `table "${tableName}" to be ACTIVE again`, log },
  );
}
