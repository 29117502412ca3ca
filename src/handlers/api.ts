/**
 * The HTTP API's Lambda entry point (API Gateway v2, payload format 2.0):
 * the app's definition served by the library. Nothing else belongs here.
 */
import { api } from "../app";
import { createApiHandler } from "../lib";

export const handler = createApiHandler(api);
