/**
 * What tests need of the CLI, by package name (@dynamodb-starter/cli/testing):
 * DynamoDB Local started on this machine's Java (on loopback only), and free
 * ports. The jest preset starts one DynamoDB Local per run with these.
 */
export {
  startLocalDynamo,
  findJava,
  freePort,
  assertPortFree,
  waitUntilReady,
  JavaNotFoundError,
  LocalDynamoStartError,
  type LocalDynamo,
  type LocalDynamoOptions,
} from "./local/dynamoDbLocal";
