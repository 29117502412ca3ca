import { contract } from "../../src/app/contract";
import { callerClaims, walk } from "../../src/contract";
import { connect, createApiHandler } from "@dynamodb-starter/kit/runtime";
import { ensureTable } from "@dynamodb-starter/kit/ops";
import { countRequests } from "@dynamodb-starter/kit/testing";
import { apiClient } from "@dynamodb-starter/kit/testing";
import { localClients, deleteTable, uniqueTableName } from "@dynamodb-starter/kit/testing";
import { bootstrapVars } from "../../scripts/bootstrap";

// The app as the handler serves it, read through its contract: this test stays when the app is replaced.
const { api } = apiClient(createApiHandler(contract.api));

const admin = localClients();
const tableName = uniqueTableName("permissions");
process.env.TABLE_NAME = tableName;

beforeAll(() => ensureTable({ client: admin.client, tableName }));
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
});

/** IAM checks each item of a transaction against its own action. */
const TRANSACT_ACTIONS: Record<string, string> = { Put: "PutItem", Update: "UpdateItem", Delete: "DeleteItem", ConditionCheck: "ConditionCheckItem" };

const FIX =
  "dynamodbActions in src/app/contract.ts must list exactly the DynamoDB actions the app's routes send. " +
  "The routes exercised are the walkthrough in the same file: when you add a route, add it there too, then update dynamodbActions " +
  "and have an admin run make bootstrap, which grants them to the function roles.";

describe("the Lambda's IAM policy", () => {
  it("allows every DynamoDB action the app's routes send, and nothing they do not", async () => {
    // The cold start (DescribeTable, the migrations Query and, here only, applying migrations) is connect()'s.
    const { client } = await connect({ migrations: contract.api.migrations });
    const used = new Set<string>(["DescribeTable", "Query"]);
    const counter = countRequests(client);
    const transactions: Record<string, unknown>[][] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "TransactWriteItemsCommand") transactions.push((args.input as { TransactItems: Record<string, unknown>[] }).TransactItems);
        return next(args);
      },
      { step: "initialize", name: "record-transactions" },
    );

    await walk(
      contract.walkthrough,
      ({ method, path, body, query, ...request }) =>
        api(method, path, { ...(body === undefined ? {} : { body }), ...(query ? { query } : {}), as: callerClaims(contract, request) }),
      ({ method, path, status }, reply) => expect({ method, path, status: reply.status }).toEqual({ method, path, status }),
    );
    client.middlewareStack.remove("record-transactions");
    counter.stop();
    for (const operation of counter.operations) if (operation !== "TransactWriteItems") used.add(operation);
    for (const entry of transactions.flat()) for (const kind of Object.keys(entry)) used.add(TRANSACT_ACTIONS[kind]!);

    const allowed = new Set(contract.dynamodbActions);
    // ...and the bootstrap grants exactly those to the function roles.
    expect(bootstrapVars(undefined, () => "git@github.com:acme/service.git").function_table_actions).toEqual(
      contract.dynamodbActions.map((a) => `dynamodb:${a}`),
    );
    const missing = [...used].filter((action) => !allowed.has(action)).sort();
    const unused = [...allowed].filter((action) => !used.has(action)).sort();
    expect({ "sent but not granted": missing, "granted but unused": unused, fix: FIX }).toEqual({
      "sent but not granted": [],
      "granted but unused": [],
      fix: FIX,
    });
  });
});
