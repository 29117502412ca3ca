/**
 * What a stream consumer's cold start costs, by how it is written, on the
 * same work: each record inserted adds 1 to a counter item, each removed
 * takes 1 away. The kit's createStreamHandler (connect()'s check, one
 * transaction per record with its marker), the same count kept through
 * Powertools' batch processor and idempotency utility (its DynamoDB
 * persistence layer on the same table), and a bare consumer (an UpdateItem
 * per record: no idempotency, no partial batch failures) as the floor. None
 * is the app's: this measures the kit, whatever the service counts. Each is
 * built with the handlers' esbuild settings and run in fresh processes,
 * round-robin: load, then a first batch of 10 INSERT records.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { marshall } from "@aws-sdk/util-dynamodb";
import { LOCAL_REGION } from "@dynamodb-starter/kit/runtime";
import { buildEntry, type Artifact } from "../build";
import { project, type Project } from "../project";

/** Where the consumers' counter lives: one item, whatever the records' keys. */
const COUNTER = `{ pk: "bench#consumers", sk: "count" }`;

const KIT = `import { createStreamHandler } from "@dynamodb-starter/kit/runtime";
export const handler = createStreamHandler({
  migrations: [],
  writes: (change, { tableName }) =>
    change.event === "MODIFY"
      ? []
      : [{ Update: { TableName: tableName, Key: ${COUNTER}, UpdateExpression: "ADD records :d", ExpressionAttributeValues: { ":d": change.event === "INSERT" ? 1 : -1 } } }],
});`;

export type ConsumerVariant = "kit" | "powertools" | "bare";

export interface ConsumerRow {
  variant: ConsumerVariant;
  coldBytes: number;
  loadMs: number[];
  firstBatchMs: number[];
}

// The same count through Powertools: the batch processor reports partial failures, makeIdempotent keeps a record per
// event id in the same table (pk/sk, expiring by expiresAt).
const POWERTOOLS = `import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
const client = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT });
const documentClient = DynamoDBDocumentClient.from(client);
const persistenceStore = new DynamoDBPersistenceLayer({
  tableName: process.env.TABLE_NAME, keyAttr: "pk", sortKeyAttr: "sk", expiryAttr: "expiresAt", awsSdkV3Client: client,
});
const config = new IdempotencyConfig({ eventKeyJmesPath: "eventID" });
const count = makeIdempotent(async (record) => {
  if (record.eventName === "MODIFY") return;
  await documentClient.send(new UpdateCommand({
    TableName: process.env.TABLE_NAME, Key: ${COUNTER},
    UpdateExpression: "ADD records :d", ExpressionAttributeValues: { ":d": record.eventName === "INSERT" ? 1 : -1 },
  }));
}, { persistenceStore, config });
const processor = new BatchProcessor(EventType.DynamoDBStreams);
export const handler = async (event, context) => {
  config.registerLambdaContext(context);
  return processPartialResponse(event, count, processor, { context });
};`;

const BARE = `import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT }));
export const handler = async (event) => {
  for (const record of event.Records) {
    if (record.eventName === "MODIFY") continue;
    await documentClient.send(new UpdateCommand({
      TableName: process.env.TABLE_NAME, Key: ${COUNTER},
      UpdateExpression: "ADD records :d", ExpressionAttributeValues: { ":d": record.eventName === "INSERT" ? 1 : -1 },
    }));
  }
  return { batchItemFailures: [] };
};`;

/** Ten INSERTs, with event ids never seen before (so no idempotency record short-cuts the run). */
function batch(): unknown {
  return {
    Records: Array.from({ length: 10 }, (_, i) => {
      const keys = { pk: `bench#item-${randomUUID()}`, sk: "item" };
      return {
        eventID: randomUUID(),
        eventName: "INSERT",
        eventVersion: "1.1",
        eventSource: "aws:dynamodb",
        awsRegion: LOCAL_REGION,
        eventSourceARN: "arn:aws:dynamodb:local:000000000000:table/bench/stream/bench",
        dynamodb: {
          ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
          Keys: marshall(keys),
          NewImage: marshall({ ...keys, size: i }),
          SequenceNumber: String(1_000_000 + i),
          SizeBytes: 100,
          StreamViewType: "NEW_AND_OLD_IMAGES",
        },
      };
    }),
  };
}

function runOnce(file: string, env: NodeJS.ProcessEnv): { loadMs: number; firstBatchMs: number } {
  const context = { functionName: "bench-consumer", awsRequestId: randomUUID(), getRemainingTimeInMillis: "REMAINING" };
  const script = `process.stdout.write("");const t=process.hrtime.bigint();const ms=()=>Number(process.hrtime.bigint()-t)/1e6;
const context=${JSON.stringify(context).replace('"REMAINING"', "()=>30000")};
import(${JSON.stringify(file)}).then(async(m)=>{const loaded=ms();const r=await m.handler(${JSON.stringify(batch())},context);
if(r.batchItemFailures.length)throw new Error("failures: "+JSON.stringify(r));
process.stdout.write("\\n@@"+JSON.stringify({loadMs:loaded,firstBatchMs:ms()}))})`;
  const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", env });
  if (run.status !== 0) throw new Error(`running ${file} failed: ${run.stderr}`);
  return JSON.parse(run.stdout.split("\n@@").at(-1)!) as { loadMs: number; firstBatchMs: number };
}

/** Builds the three consumers and runs each `runs` times against `endpoint`, whose `tableName` must be migrated. */
export async function measureStreamConsumers({
  endpoint,
  tableName,
  runs = 11,
  p = project(),
}: {
  endpoint: string;
  tableName: string;
  runs?: number;
  p?: Project;
}): Promise<ConsumerRow[]> {
  const work = join(p.distDir, "bench", "stream-consumers"); // under the service root, where its tsconfig.json resolves the kit
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const entry = (name: string, source: string) => {
    const file = join(work, `${name}.ts`);
    writeFileSync(file, source);
    return file;
  };
  const artifacts: [ConsumerVariant, Artifact][] = [
    ["kit", await buildEntry(entry("kit", KIT), join(work, "out"), "kit", { zip: false })],
    ["powertools", await buildEntry(entry("powertools", POWERTOOLS), join(work, "out"), "powertools", { zip: false })],
    ["bare", await buildEntry(entry("bare", BARE), join(work, "out"), "bare", { zip: false })],
  ];
  const { NODE_OPTIONS: _theShells, ...inherited } = process.env;
  const env = {
    ...inherited,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    DYNAMODB_ENDPOINT: endpoint,
    TABLE_NAME: tableName,
    AWS_LAMBDA_FUNCTION_NAME: "bench-consumer",
    MIGRATIONS_ON_CONNECT: "fail",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
  const rows = artifacts.map(([variant, a]): ConsumerRow => ({ variant, coldBytes: a.coldBytes, loadMs: [], firstBatchMs: [] }));
  for (let i = 0; i < runs; i++) {
    for (const [index, [, a]] of artifacts.entries()) {
      const { loadMs, firstBatchMs } = runOnce(a.entry, env);
      rows[index]!.loadMs.push(loadMs);
      rows[index]!.firstBatchMs.push(firstBatchMs);
    }
  }
  return rows;
}
