import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { connect } from "../../src/db/connect";
import { ensureTable } from "../../src/db/ensureTable";
import { migrator } from "../../src/db/migrationRunner";
import { handler } from "../../src/handlers/api";
import { migrations } from "../../src/migrations";
import { clients, deleteTable, recordRequests, uniqueTableName } from "../support/dynamo";
import { loadInfra, policyStatements } from "../support/terraform";

const admin = clients();
const tableName = uniqueTableName("permissions");

const event = (method: string, path: string): APIGatewayProxyEventV2 =>
  ({ version: "2.0", rawPath: path, headers: {}, isBase64Encoded: false, requestContext: { http: { method, path }, requestId: "test" } }) as unknown as APIGatewayProxyEventV2;

beforeAll(async () => {
  await ensureTable({ client: admin.client, tableName });
  await migrator({ ...admin, tableName, migrations }).up();
  process.env.TABLE_NAME = tableName;
});
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
});

describe("the Lambda's IAM policy", () => {
  it("allows every DynamoDB operation the handler sends (connect's DescribeTable and Query included)", async () => {
    // connect() sends exactly DescribeTable and Query on a cold start (proven in connect.test.ts); record the routes.
    const { client } = await connect();
    const requests = recordRequests(client);
    for (const [method, path] of [["GET", "/health"], ["GET", "/missing"]] as const) {
      expect((await handler(event(method, path))).statusCode).toBeLessThan(500);
    }
    requests.stop();

    const used = new Set(["DescribeTable", "Query", ...requests.operations]);
    const { merged } = await loadInfra();
    const allowed = new Set(policyStatements(merged).flatMap((s) => s.actions).filter((a) => a.startsWith("dynamodb:")).map((a) => a.slice(9)));
    expect([...used].filter((op) => !allowed.has(op))).toEqual([]);
    // And nothing granted that no code path uses.
    expect([...allowed].filter((op) => !used.has(op))).toEqual([]);
  });
});
