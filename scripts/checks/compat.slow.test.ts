/**
 * The previous release of the service keeps working on the table this revision leaves, and this revision on the data
 * the previous release wrote (make test-compat, against the merge base with main, or the commit before a clean HEAD).
 */
import { localEndpoint } from "@dynamodb-starter/kit/testing";
import { runCompat } from "../src/compat/compat";
import { service } from "./service";

describe("the previous release and this one, on each other's table", () => {
  it("answer every request of their load mixes as their contracts expect", async () => {
    const lines: string[] = [];
    const { failures } = await runCompat({ p: service, endpoint: localEndpoint(), log: (line) => lines.push(line) });
    process.stdout.write(`${lines.join("\n")}\n`);
    expect(failures).toEqual([]);
  }, 300_000);
});
