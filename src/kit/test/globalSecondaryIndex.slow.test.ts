import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { startLocalDynamo } from "@dynamodb-starter/cli/testing";
import { addGlobalSecondaryIndex } from "../src/table/globalSecondaryIndex";
import { ensureTable } from "../src/table/ensureTable";
import { localClients } from "../src/testing/tables";

const INDEX = "byOwner";

describe("addGlobalSecondaryIndex", () => {
  it("survives an interrupted run: re-running waits through CREATING and backfilling until ACTIVE, reporting progress", async () => {
    // DynamoDB Local holds new indexes in CREATING, then backfilling, only with -delayTransientStatuses.
    const slow = await startLocalDynamo({ delayTransientStatuses: true });
    const { client } = localClients(slow.endpoint);
    try {
      await ensureTable({ client, tableName: "delayed" });
      const lines: string[] = [];
      const index = { name: INDEX, partitionKey: { name: "ownerPk", type: "S" as const }, sortKey: { name: "ownerSk", type: "S" as const } };
      const started = Date.now();
      // The first run is cut short while the index is still CREATING, as a pre-step killed or timed out would be.
      await expect(addGlobalSecondaryIndex({ client, tableName: "delayed", index, timeoutMs: 2_000 })).rejects.toThrow(
        /timed out .* index "byOwner" .*CREATING/,
      );
      await addGlobalSecondaryIndex({ client, tableName: "delayed", index, log: (l) => lines.push(l) });

      const { Table } = await client.send(new DescribeTableCommand({ TableName: "delayed" }));
      expect(Table?.GlobalSecondaryIndexes?.[0]).toMatchObject({ IndexName: INDEX, IndexStatus: "ACTIVE" });
      expect(Table?.GlobalSecondaryIndexes?.[0]?.Backfilling).toBeFalsy();
      expect(Date.now() - started).toBeGreaterThan(5_000);
      expect(lines.some((l) => /waiting for index "byOwner" to become ACTIVE: CREATING/.test(l))).toBe(true);
      expect(lines.some((l) => l.startsWith("creating index"))).toBe(false); // the re-run found the index and only waited
      expect(lines.at(-1)).toBe('index "byOwner" is ACTIVE');

      const again = Date.now();
      await addGlobalSecondaryIndex({ client, tableName: "delayed", index });
      expect(Date.now() - again).toBeLessThan(2_000);
    } finally {
      client.destroy();
      await slow.stop();
    }
  }, 120_000);
});
