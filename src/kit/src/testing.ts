/**
 * What the tests of an app need, and a handler never imports: clients for
 * the DynamoDB Local a test run started (the CLI starts it), tables of a
 * test's own, a client that calls a handler the way API Gateway does, the
 * events API Gateway builds, counting the requests a client sends, the
 * lines a function logs (captureTelemetry), and
 * Lambda's stream event source mapping on DynamoDB Local's own stream.
 */
export { localEndpoint, localClients, uniqueTableName, deleteTable, itemsByKey, tableSnapshot, WRITE_OPERATIONS } from "./testing/tables";
export { apiClient, apiEvent, handlerFetch, TEST_CALLER, type Call, type Reply } from "./testing/apiClient";
export { apiGatewayEvent, jwtContext, type CallerClaims, type RequestParts } from "./testing/apiGatewayEvent";
export { countRequests, type RequestCounter } from "./testing/requestCounter";
export { captureTelemetry, type CapturedTelemetry } from "./testing/telemetry";
export {
  localStreamMapping,
  type LocalStreamMapping,
  type LocalStreamMappingOptions,
  type StreamFailure,
  type DrainResult,
} from "./testing/localStreamMapping";
