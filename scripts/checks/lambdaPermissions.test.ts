import { callerClaims, walk } from "@dynamodb-starter/kit/contract";
import { connect, createApiHandler, type StreamHandler } from "@dynamodb-starter/kit/runtime";
import { describeTable, ensureTable, reconcileTable } from "@dynamodb-starter/kit/ops";
import { apiClient, countRequests, deleteTable, localClients, localEndpoint, localStreamMapping, uniqueTableName } from "@dynamodb-starter/kit/testing";
import { functionGrants } from "../src/aws/bootstrap";
import type { FunctionSpec } from "../src/functions";
import { contract, functions } from "./service";

// Every function of the service's src/handlers/, exercised the way its trigger does, read through its contract and
// the handlers' configs: the check passes or fails for whatever app and functions a service has.
const admin = localClients();
const tableName = uniqueTableName("permissions");
process.env.TABLE_NAME = tableName;

beforeAll(async () => {
  await ensureTable({ client: admin.client, tableName });
  await reconcileTable({ client: admin.client, tableName, settings: { stream: "NEW_AND_OLD_IMAGES" }, apply: true });
});
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
});

/** IAM checks each item of a transaction against its own action. */
const TRANSACT_ACTIONS: Record<string, string> = { Put: "PutItem", Update: "UpdateItem", Delete: "DeleteItem", ConditionCheck: "ConditionCheckItem" };

const fix = (f: FunctionSpec) =>
  `config.dynamodbActions in src/handlers/${f.name}.ts must list exactly the DynamoDB actions the function sends` +
  (f.kind === "http" ? " (its routes, exercised by the walkthrough in src/app/contract.ts: add a new route there too)" : "") +
  ". Then have an admin run make bootstrap, which grants them to the function's role.";

/** What each kind of function is put through: the walkthrough, the stream it left, a scheduled run. */
const exercise: Record<FunctionSpec["kind"], (f: FunctionSpec) => Promise<void>> = {
  async http(f) {
    const { api } = apiClient(requireHandlerModule(f).handler as ReturnType<typeof createApiHandler>);
    await walk(
      contract.walkthrough,
      ({ method, path, body, query, ...request }) =>
        api(method, path, { ...(body === undefined ? {} : { body }), ...(query ? { query } : {}), as: callerClaims(contract, request) }),
      ({ method, path, status }, reply) => expect({ method, path, status: reply.status }).toEqual({ method, path, status }),
    );
  },
  async stream(f) {
    const handler = requireHandlerModule(f).handler as StreamHandler;
    const streamArn = (await describeTable(admin.client, tableName))!.LatestStreamArn!;
    const failures: unknown[] = [];
    const mapping = localStreamMapping({
      endpoint: localEndpoint(),
      streamArn,
      handler: (event) => handler(event, { functionName: `permissions-${f.name}` }),
      onFailure: (failure) => void failures.push(failure),
    });
    const { invocations } = await mapping.drain();
    await mapping.stop();
    expect({ invocations: invocations > 0, failures }).toEqual({ invocations: true, failures: [] });
  },
  async schedule(f) {
    const handler = requireHandlerModule(f).handler as (event: unknown, context: { getRemainingTimeInMillis(): number }) => Promise<unknown>;
    await handler({ source: "schedule" }, { getRemainingTimeInMillis: () => 60_000 });
  },
};

const requireHandlerModule = (f: FunctionSpec) => require(f.file) as { handler: unknown };
const ORDER = ["http", "stream", "schedule"];

describe("each function's IAM policy", () => {
  const granted = functionGrants(functions);

  it.each([...functions].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind)).map((f) => [f.name, f] as const))(
    "%s: allows every DynamoDB action it sends, and nothing it does not",
    async (_, f) => {
      // The cold start (DescribeTable, the migrations Query and, here only, applying migrations) is connect()'s.
      const { client } = await connect({ migrations: contract.api.migrations });
      const used = new Set<string>(["DescribeTable", "Query"]);
      const counter = countRequests(client);
      const transactions: Record<string, unknown>[][] = [];
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === "TransactWriteItemsCommand")
            transactions.push((args.input as { TransactItems: Record<string, unknown>[] }).TransactItems);
          return next(args);
        },
        { step: "initialize", name: "record-transactions" },
      );
      try {
        await exercise[f.kind](f);
      } finally {
        client.middlewareStack.remove("record-transactions");
        counter.stop();
      }
      for (const operation of counter.operations) if (operation !== "TransactWriteItems") used.add(operation);
      for (const entry of transactions.flat()) for (const kind of Object.keys(entry)) used.add(TRANSACT_ACTIONS[kind]!);

      const allowed = new Set<string>(f.config.dynamodbActions);
      // ...and the bootstrap grants exactly those to the function's role.
      expect(granted[f.name]?.table_actions).toEqual(f.config.dynamodbActions.map((a) => `dynamodb:${a}`));
      const missing = [...used].filter((action) => !allowed.has(action)).sort();
      const unused = [...allowed].filter((action) => !used.has(action)).sort();
      expect({ "sent but not granted": missing, "granted but unused": unused, fix: fix(f) }).toEqual({
        "sent but not granted": [],
        "granted but unused": [],
        fix: fix(f),
      });
    },
  );
});
