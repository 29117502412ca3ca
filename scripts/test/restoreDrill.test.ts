/**
 * What the restore drill decides before it touches anything (the scratch table's name and settings, how it says a
 * duration), and its local copy, item for item, on DynamoDB Local.
 */
import fc from "fast-check";
import { BatchWriteItemCommand, ScanCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { TABLE_NAME_PATTERN } from "@dynamodb-starter/kit/runtime";
import { ensureTable } from "@dynamodb-starter/kit/ops";
import { deleteTable, localClients, localEndpoint, uniqueTableName } from "@dynamodb-starter/kit/testing";
import { localCopySource, scratchName, scratchSettings } from "../src/drill/restoreDrill";
import { formatDuration } from "../src/format";

describe("the restore drill", () => {
  it("names a scratch table after any valid table name: valid itself, unique, and matched by the drill role's <table>-drill-* (property)", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zA-Z0-9_.-]{3,255}$/), (table) => {
        const [a, b] = [scratchName(table), scratchName(table)];
        expect(a).toMatch(TABLE_NAME_PATTERN);
        expect(a.length).toBeLessThanOrEqual(255);
        expect(a).not.toBe(b);
        if (table.length <= 229) expect(a.startsWith(`${table}-drill-`)).toBe(true);
      }),
    );
  });

  it("gives the scratch table the settings a restore drops, never deletion protection, backups, a stream or another key", () => {
    const settings = scratchSettings(
      {
        pointInTimeRecovery: true,
        deletionProtection: true,
        ttlAttribute: "expiresAt",
        stream: "NEW_AND_OLD_IMAGES",
        encryption: { kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k" },
        onDemandMaximum: { readRequestUnits: 10, writeRequestUnits: 5 },
        tags: { service: "s" },
      },
      "t-drill-1",
    );
    expect(settings).toEqual({
      ttlAttribute: "expiresAt",
      onDemandMaximum: { readRequestUnits: 10, writeRequestUnits: 5 },
      deletionProtection: false,
      tags: { service: "s", "restore-drill": "t-drill-1" },
    });
  });

  it("says a duration in the unit a person plans with", () => {
    expect([850, 83_000, 250_000, 7_500_000].map(formatDuration)).toEqual(["0.8 s", "83 s", "4 min 10 s", "2 h 5 min"]);
  });

  it("copies the local table item for item, as DynamoDB holds it: numbers to their last digit, sets, binary, nesting", async () => {
    const admin = localClients();
    const tableName = uniqueTableName("drill-copy");
    const scratch = scratchName(tableName);
    try {
      await ensureTable({ client: admin.client, tableName });
      const exotic: Record<string, AttributeValue> = {
        pk: { S: "ITEM#exotic" },
        sk: { S: "A" },
        big: { N: "12345678901234567890123456789012345678" },
        small: { N: "0.000000000000000000000000000000000001" },
        ns: { NS: ["1", "99999999999999999999"] },
        ss: { SS: ["x", "y"] },
        b: { B: new Uint8Array([0, 255]) },
        bs: { BS: [new Uint8Array([1]), new Uint8Array([2])] },
        nested: { M: { l: { L: [{ NULL: true }, { BOOL: false }, { S: "" }] } } },
      };
      // More than one batch of 25.
      const plain = Array.from({ length: 30 }, (_, i): Record<string, AttributeValue> => ({ pk: { S: `ITEM#${i}` }, sk: { S: "A" }, n: { N: String(i) } }));
      for (let i = 0; i < plain.length + 1; i += 25) {
        const batch = [exotic, ...plain].slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
        await admin.client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: batch } }));
      }
      const lines: string[] = [];
      await localCopySource(admin.client, tableName, localEndpoint(), "local").start(scratch, (line) => lines.push(line));

      const everything = async (table: string) => {
        const { Items = [] } = await admin.client.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
        return Items.sort((a, b) => a.pk!.S!.localeCompare(b.pk!.S!));
      };
      expect(await everything(scratch)).toEqual(await everything(tableName));
      expect((await everything(scratch)).find((item) => item.pk?.S === "ITEM#exotic")).toEqual(exotic);
      expect(lines).toEqual(["  copied 31 item(s)"]);
    } finally {
      await deleteTable(admin.client, scratch);
      await deleteTable(admin.client, tableName);
      admin.client.destroy();
    }
  });
});
