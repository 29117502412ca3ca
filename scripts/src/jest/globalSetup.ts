/**
 * A jest globalSetup: starts one in-memory DynamoDB Local for the whole run;
 * test files find it through DYNAMODB_ENDPOINT (localEndpoint(), localClients())
 * and each creates tables of its own. Pair it with jestGlobalTeardown.
 */
import { LOCAL_REGION } from "@dynamodb-starter/kit/runtime";
import { startLocalDynamo, type LocalDynamo } from "../local/dynamoDbLocal";

declare global {
  var __localDynamo: LocalDynamo | undefined;
}

export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const started = Date.now();
  const dynamo = await startLocalDynamo();
  globalThis.__localDynamo = dynamo;
  process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
  process.env.AWS_REGION = LOCAL_REGION;
  process.env.CURSOR_SECRET ??= "test-cursor-secret-not-for-production";
  process.stdout.write(`\nDynamoDB Local ready on ${dynamo.endpoint} in ${Date.now() - started} ms\n`);
}
