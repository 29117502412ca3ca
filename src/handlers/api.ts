/**
 * The HTTP API's Lambda entry point (API Gateway v2, payload format 2.0):
 * the app's definition served by the library. Nothing else belongs here.
 */
import { api } from "../app";
import { apiRouteTable, createApiHandler } from "@dynamodb-starter/kit/runtime";

export const handler = createApiHandler(api);
/** Who may call which route: the local deployment checks tokens against it as API Gateway does. */
export const routes = apiRouteTable(api);
