import { runLoad } from "../../src/measure/load";
import { loadContract } from "../../src/project";
import { FIXTURE } from "../support/functions";

// The fixture's load mix: each create's key comes from the server's answer (the ids are the server's).
const contract = loadContract(FIXTURE);

describe("a small load test of the local deployment (make load runs the full one)", () => {
  it("serves 300 requests of the app's load mix over 10 connections, each answered as expected, storing exactly the acknowledged creates", async () => {
    const result = await runLoad({ connections: 10, amount: 300, log: () => {} }, FIXTURE);
    expect(result.requests).toBe(300);
    expect(result.statuses).toMatchObject({ "5xx": 0, errors: 0, timeouts: 0 });
    expect(result.unexpected).toBe(0); // every answer had the status the app's contract expects
    // Each connection cycles through one create and the app's reads.
    expect(result.creates.acknowledged).toBe(300 / (1 + contract.load.reads.length));
    expect(result.creates).toMatchObject({ inTable: result.creates.acknowledged, missing: 0, unacknowledgedInTable: 0 });
  }, 180_000); // a stack brought up and 300 requests: a guard against a hang, not a speed target
});
