import { connect } from "../../src/db/connect";
import { ensureTable } from "../../src/db/ensureTable";
import { api } from "../support/api";
import { clients, deleteTable, uniqueTableName } from "../support/dynamo";
import { loadInfra, policyStatements } from "../support/terraform";

const admin = clients();
const tableName = uniqueTableName("permissions");
process.env.TABLE_NAME = tableName;

beforeAll(() => ensureTable({ client: admin.client, tableName }));
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
});

/** IAM checks each item of a transaction against its own action. */
const TRANSACT_ACTIONS: Record<string, string> = { Put: "PutItem", Update: "UpdateItem", Delete: "DeleteItem", ConditionCheck: "ConditionCheckItem" };

describe("the Lambda's IAM policy", () => {
  it("allows every DynamoDB action the handler's routes need, and nothing they do not", async () => {
    // The cold start (DescribeTable, the migrations Query and, here only, applying migrations) is connect()'s.
    const { client } = await connect();
    const used = new Set<string>(["DescribeTable", "Query"]);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = String(context.commandName).replace(/Command$/, "");
        if (operation === "TransactWriteItems") {
          for (const entry of (args.input as { TransactItems: Record<string, unknown>[] }).TransactItems) {
            for (const kind of Object.keys(entry)) used.add(TRANSACT_ACTIONS[kind]!);
          }
        } else {
          used.add(operation);
        }
        return next(args);
      },
      { step: "initialize", name: "record-actions" },
    );

    const calls: [string, string, unknown?][] = [
      ["GET", "/health"],
      ["POST", "/users", { email: "p@example.com", name: "P" }],
      ["POST", "/users", { email: "p@example.com", name: "P" }],
      ["GET", "/users/p@example.com"],
      ["PATCH", "/users/p@example.com", { name: "Q" }],
      ["POST", "/companies", { name: "Perm" }],
      ["GET", "/companies/Perm"],
      ["PUT", "/companies/Perm/members/p@example.com", { role: "admin" }],
      ["GET", "/companies/Perm/members"],
      ["GET", "/users/p@example.com/companies"],
      ["POST", "/users/p@example.com/events", { type: "login" }],
      ["GET", "/users/p@example.com/events"],
      ["DELETE", "/users/p@example.com"],
    ];
    for (const [method, path, body] of calls) {
      const reply = await api(method, path, body === undefined ? {} : { body });
      expect({ method, path, status: reply.status < 500 }).toEqual({ method, path, status: true });
    }
    client.middlewareStack.remove("record-actions");

    const { merged } = await loadInfra();
    const allowed = new Set(policyStatements(merged).flatMap((s) => s.actions).filter((a) => a.startsWith("dynamodb:")).map((a) => a.slice(9)));
    expect([...used].filter((action) => !allowed.has(action))).toEqual([]);
    expect([...allowed].filter((action) => !used.has(action))).toEqual([]);
  });
});
