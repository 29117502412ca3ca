/**
 * The HTTP API's Lambda entry point (API Gateway v2, payload format 2.0).
 * Thin by design: connect, route, respond. The example service's routes
 * arrive with the model; for now it answers the health check, which proves
 * the table is reachable and migrated.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { connect } from "../db/connect";
import { SETTINGS_KEY } from "../migrations/0001-app-settings";

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const { method, path } = event.requestContext.http;
  try {
    const { documentClient, tableName } = await connect();
    if (path === "/health" && method === "GET") {
      const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: SETTINGS_KEY }));
      return json(200, { status: "ok", table: tableName, settings: Item ? { maxPageSize: Item.maxPageSize } : null });
    }
    return json(404, { error: { code: "not_found", message: `no route for ${method} ${path}` } });
  } catch (error) {
    console.error(JSON.stringify({ level: "error", requestId: event.requestContext.requestId, message: String(error) }));
    return json(500, { error: { code: "internal", message: "internal error", requestId: event.requestContext.requestId } });
  }
}
