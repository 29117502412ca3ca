/**
 * Pre-step, part 2: bring the table's declared settings (point-in-time
 * recovery, deletion protection, TTL, stream, encryption, on-demand maximum, tags) in line and report
 * each one. Runs with the deployer's credentials after ensureTable().
 * With `apply: false` it only reports drift.
 *
 * Point-in-time recovery and deletion protection are only ever turned on:
 * declared off, they are reported as drift with who may turn them off and
 * how. They are what brings back a table a bad change emptied, so a deploy,
 * which anyone who can merge can start, never removes them.
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
  /** The most read and write request units per second the on-demand table, and each of its indexes, serves (a ceiling on its cost); null removes it. */
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
  /** The credentials may read this setting but not change it: someone with more rights must apply it. */
  denied?: true;
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

/** Credentials that may read a setting but not change it (a deployment whose deploy role holds no right to, by design). */
const isAccessDenied = (error: unknown) => error instanceof Error && (error.name === "AccessDeniedException" || error.name === "AccessDenied");

/** Why a protection declared off stays on, who may turn it off, and how. */
const neverOff = (what: string, command: string) => ({
  skipped:
    `${what} is never turned off by a deploy: it is what keeps a bad change from costing the data. ` +
    `If it must go, an administrator of the account turns it off by hand (${command}).`,
});

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

type Context = { client: DynamoDBClient; tableName: string; table: TableDescription; log: (message: string) => void };
const onOff = (on: boolean | undefined) => (on ? "on" : "off");

export async function reconcileTable({ client, tableName, settings, apply, log = () => {} }: ReconcileOptions): Promise<SettingReport[]> {
  const table = await describeTable(client, tableName);
  if (!table) throw new TableNotFoundError(tableName);
  const context = { client, tableName, table, log };
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
    if (isAccessDenied(error)) {
      return { setting: name, status: "drift", actual, declared, note: "these credentials may not change it; an administrator applies it", denied: true };
    }
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
    update: async () => {
      if (!on) {
        const command = `aws dynamodb update-continuous-backups --table-name ${tableName} --point-in-time-recovery-specification PointInTimeRecoveryEnabled=false`;
        return neverOff("point-in-time recovery", command);
      }
      await client.send(new UpdateContinuousBackupsCommand({ TableName: tableName, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));
      return undefined;
    },
  };
}

function deletionProtectionSetting({ client, tableName, table }: Context, on: boolean): Setting {
  return {
    name: "deletion protection",
    declared: onOff(on),
    read: async () => onOff(table.DeletionProtectionEnabled),
    update: async () => {
      if (!on) return neverOff("deletion protection", `aws dynamodb update-table --table-name ${tableName} --no-deletion-protection-enabled`);
      await client.send(new UpdateTableCommand({ TableName: tableName, DeletionProtectionEnabled: true }));
      return undefined;
    },
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

function onDemandMaximumSetting({ client, tableName, table, log }: Context, maximum: NonNullable<TableSettings["onDemandMaximum"]> | null): Setting {
  // -1 is DynamoDB's "no maximum".
  const units = (t: { MaxReadRequestUnits?: number; MaxWriteRequestUnits?: number } | undefined) =>
    t?.MaxReadRequestUnits && t.MaxReadRequestUnits > 0 && t.MaxWriteRequestUnits && t.MaxWriteRequestUnits > 0
      ? `read ${t.MaxReadRequestUnits}/s, write ${t.MaxWriteRequestUnits}/s`
      : "none";
  const wanted = maximum ? { MaxReadRequestUnits: maximum.readRequestUnits, MaxWriteRequestUnits: maximum.writeRequestUnits } : undefined;
  const declared = units(wanted);
  const off = (index: { OnDemandThroughput?: Parameters<typeof units>[0] }) => units(index.OnDemandThroughput) !== declared;
  // Each index of an on-demand table has a maximum of its own: one left without is a way around the table's.
  const indexes = () => table.GlobalSecondaryIndexes ?? [];
  const OnDemandThroughput = { MaxReadRequestUnits: wanted?.MaxReadRequestUnits ?? -1, MaxWriteRequestUnits: wanted?.MaxWriteRequestUnits ?? -1 };
  return {
    name: "on-demand maximum",
    declared,
    read: async () =>
      [
        units(table.OnDemandThroughput),
        ...indexes()
          .filter(off)
          .map((i) => `index ${i.IndexName}: ${units(i.OnDemandThroughput)}`),
      ].join("; "),
    // The indexes first: DynamoDB Local answers an index's update by dropping the table's maximum (probed), so the
    // table's comes last, where it holds on every endpoint.
    update: async () => {
      for (const index of indexes().filter(off)) {
        await client.send(
          new UpdateTableCommand({ TableName: tableName, GlobalSecondaryIndexUpdates: [{ Update: { IndexName: index.IndexName, OnDemandThroughput } }] }),
        );
        await waitActive(client, tableName, log);
      }
      if (units((await describeTable(client, tableName))?.OnDemandThroughput) !== declared) {
        await client.send(new UpdateTableCommand({ TableName: tableName, OnDemandThroughput }));
        await waitActive(client, tableName, log);
      }
      const kept = ((await describeTable(client, tableName))?.GlobalSecondaryIndexes ?? []).filter(off).map((i) => i.IndexName);
      return kept.length
        ? { skipped: `this endpoint kept the maximum of index ${kept.join(", ")} (DynamoDB Local ignores an index's; AWS applies it)` }
        : undefined;
    },
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
