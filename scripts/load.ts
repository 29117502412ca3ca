/**
 * `make load`: a bounded load test of the local deployment, on loopback only.
 * It deploys an isolated local stack (own ports, own data), then sends a mix
 * of creates, reads and list queries with autocannon, and checks the table:
 * every acknowledged create is there and nothing else is.
 */
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import autocannon from "autocannon";
import { createClient, createDocumentClient } from "../src/db/clients";
import { isolatedLocalDeployment } from "./deployments";
import { deployLocal, destroyLocal } from "./localDeployment";

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  statuses: Record<string, number>;
  serverErrors: number;
  creates: { acknowledged: number; inTable: number; missing: number; unacknowledgedInTable: number };
}

export async function runLoad({ connections = 50, amount = 5_000, log = console.log }: { connections?: number; amount?: number; log?: (line: string) => void } = {}): Promise<LoadResult> {
  const d = await isolatedLocalDeployment("load");
  const quiet = () => {};
  try {
    const { url, endpoint } = await deployLocal(d, quiet);
    const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    await post("/companies", { name: "Load" });
    await post("/users", { email: "reader@example.com", name: "Reader" });
    await fetch(`${url}/companies/Load/members/reader@example.com`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ role: "member" }) });

    let sent = 0;
    const attempted = new Set<string>();
    const acknowledged = new Set<string>();
    log(`load: ${amount} requests over ${connections} connections against ${url} (1/3 creates, 1/3 reads, 1/3 list queries)`);

    const result = await autocannon({
      url,
      connections,
      amount,
      timeout: 10,
      requests: [
        {
          method: "POST",
          path: "/users",
          headers: { "content-type": "application/json" },
          setupRequest: (request, context) => {
            const email = `load-${process.pid}-${sent++}@example.com`;
            (context as { email?: string }).email = email;
            attempted.add(email);
            return { ...request, body: JSON.stringify({ email, name: "Load" }) };
          },
          onResponse: (status, _body, context) => {
            if (status === 201) acknowledged.add((context as { email: string }).email);
          },
        },
        { method: "GET", path: "/users/reader@example.com" },
        { method: "GET", path: "/companies/Load/members?limit=10" },
      ],
    });

    const client = createClient({ region: "us-east-1", endpoint });
    const documentClient = createDocumentClient(client);
    const inTable = new Set<string>();
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await documentClient.send(
        new ScanCommand({ TableName: d.tableName, ConsistentRead: true, FilterExpression: "begins_with(pk, :p)", ExpressionAttributeValues: { ":p": "USER#load-" }, ExclusiveStartKey }),
      );
      for (const item of page.Items ?? []) inTable.add(String(item.email));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    client.destroy();

    return {
      requests: result.requests.total,
      seconds: result.duration,
      requestsPerSecond: Math.round(result.requests.total / result.duration),
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      statuses: { "2xx": result["2xx"], "4xx": result["4xx"], "5xx": result["5xx"], errors: result.errors, timeouts: result.timeouts },
      serverErrors: result["5xx"] + result.errors + result.timeouts,
      creates: {
        acknowledged: acknowledged.size,
        inTable: inTable.size,
        missing: [...acknowledged].filter((e) => !inTable.has(e)).length,
        unacknowledgedInTable: [...inTable].filter((e) => !acknowledged.has(e) || !attempted.has(e)).length,
      },
    };
  } finally {
    await destroyLocal(d, quiet);
  }
}

if (require.main === module) {
  runLoad()
    .then((r) => {
      console.log(JSON.stringify(r, null, 2));
      const ok = r.serverErrors === 0 && r.creates.missing === 0 && r.creates.unacknowledgedInTable === 0;
      console.log(ok ? "load: OK (no 5xx, every acknowledged create stored, nothing else stored)" : "load: FAILED");
      process.exit(ok ? 0 : 1);
    })
    .catch((error: unknown) => {
      console.error(`load: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
}
