/**
 * The HTTP API's Lambda entry point (API Gateway v2, payload format 2.0):
 * the app's definition served by the library, and its `config`: triggered by
 * HTTP, granted exactly the DynamoDB actions its routes send.
 */
import { api } from "../app";
import { apiRouteTable, createApiHandler, defineFunction } from "@dynamodb-starter/kit/runtime";

export const handler = createApiHandler(api);
/** Who may call which route: the local deployment checks tokens against it as API Gateway does. */
export const routes = apiRouteTable(api);

export const config = defineFunction({
  trigger: { http: true },
  // connect() sends DescribeTable (to explain a failed check) and Query; the routes the rest (transactions need
  // PutItem and ConditionCheckItem; deleting a user uses BatchWriteItem). Reads a company's member count with GetItem.
  dynamodbActions: ["BatchWriteItem", "ConditionCheckItem", "DescribeTable", "GetItem", "PutItem", "Query", "UpdateItem"],
});
