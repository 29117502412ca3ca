import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JavaNotFoundError, findJava, startLocalDynamo } from "../src/local/dynamoDbLocal";
import { ensureTable } from "@dynamodb-starter/kit/ops";
import { localClients } from "@dynamodb-starter/kit/testing";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("local DynamoDB harness", () => {
  it("names the package to install when no Java runtime can be found", () => {
    expect(() => findJava({ PATH: "/nonexistent" })).toThrow(JavaNotFoundError);
    expect(() => findJava({ PATH: "" })).toThrow("apt-get install -y default-jre-headless");
  });

  it("keeps on-disk data across a restart, answers a real request once started, and leaves no process after stop", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "dynamo-data-"));
    try {
      const first = await startLocalDynamo({ dataDir });
      const a = localClients(first.endpoint);
      await ensureTable({ client: a.client, tableName: "persisted" });
      a.client.destroy();
      await first.stop();
      expect(alive(first.pid)).toBe(false);

      const second = await startLocalDynamo({ dataDir });
      const b = localClients(second.endpoint);
      const { TableNames } = await b.client.send(new ListTablesCommand({}));
      b.client.destroy();
      await second.stop();

      expect(TableNames).toEqual(["persisted"]);
      expect(alive(second.pid)).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses a port that is already taken instead of mistaking the server there for its own", async () => {
    const taken = Number(new URL(process.env.DYNAMODB_ENDPOINT!).port);
    await expect(startLocalDynamo({ port: taken, readyTimeoutMs: 10_000 })).rejects.toThrow(`port ${taken} is already in use`);
  });
});
