/**
 * What the tests of an app (and local tools) need, and a handler never
 * imports: DynamoDB Local started on this machine's Java, tables of a test's
 * own, a client that calls a handler the way API Gateway does, the events
 * API Gateway builds, counting the requests a client sends, and Lambda's
 * stream event source mapping on DynamoDB Local's own stream.
 */
export {
  startLocalDynamo,
  findJava,
  freePort,
  assertPortFree,
  javaArgs,
  waitUntilReady,
  JavaNotFoundError,
  LocalDynamoStartError,
  type LocalDynamo,
  type LocalDynamoOptions,
} from "./testing/dynamoDbLocal";
export { localEndpoint, localClients, uniqueTableName, deleteTable, itemsByKey, tableSnapshot, WRITE_OPERATIONS } from "./testing/tables";
export { apiClient, apiEvent, TEST_CALLER, type Call, type Reply } from "./testing/apiClient";
export { apiGatewayEvent, jwtContext, type CallerClaims, type RequestParts } from "./testing/apiGatewayEvent";
export { countRequests, type RequestCounter } from "./testing/requestCounter";
export {
  localStreamMapping,
  type LocalStreamMapping,
  type LocalStreamMappingOptions,
  type StreamFailure,
  type DrainResult,
} from "./testing/localStreamMapping";
