import { CreateTableCommand } from "@aws-sdk/client-dynamodb";
import { localClients, localEndpoint, uniqueTableName, deleteTable } from "@dynamodb-starter/kit/testing";
import { freePort } from "../src/local/dynamoDbLocal";
import { request } from "node:http";
import { startUi, LocalUiError } from "../src/local/ui";

const statusWithHost = (url: string, host: string) =>
  new Promise<number>((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
    req.on("error", reject);
    req.end();
  });

describe("make ui", () => {
  it("serves dynamodb-admin on the local DynamoDB, with the deployment's table on its page", async () => {
    const { client } = localClients();
    const tableName = uniqueTableName("ui");
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    const { url, close } = await startUi({ endpoint: localEndpoint(), tableName, port: await freePort() });
    try {
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(tableName);
      // It can delete every table: a page that rebinds its own name to 127.0.0.1 gets nothing.
      const rebound = await statusWithHost(url, "evil.example.com");
      expect(rebound).toBe(403);
    } finally {
      await close();
      await deleteTable(client, tableName);
      client.destroy();
    }
  });

  it("says to start the local deployment when no DynamoDB Local answers", async () => {
    const port = await freePort();
    const attempt = startUi({ endpoint: `http://127.0.0.1:${port}`, tableName: "t", port: await freePort() });
    await expect(attempt).rejects.toThrow(LocalUiError);
    await expect(attempt).rejects.toThrow("make deploy, or make dev");
  });
});
