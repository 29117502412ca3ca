/**
 * make cost against the fixture app: its units per request by route are those the same requests consume when the
 * app's handler answers them one at a time in this process (the kit's meter, read from its request line), and the
 * report prices every route of the load mix.
 */
import { createApiHandler } from "@dynamodb-starter/kit/runtime";
import { callerClaims, withCaptured, type SampleRequest } from "@dynamodb-starter/kit/contract";
import { apiEvent, captureTelemetry } from "@dynamodb-starter/kit/testing";
import { costOn, costTable } from "../../src/measure/cost";
import { withLoadStack } from "../../src/measure/load";
import { FIXTURE } from "../support/functions";

describe("make cost on the fixture app", () => {
  it("prices each route of the load mix from the units its requests consume, as measured one request at a time", async () => {
    await withLoadStack(async (stack) => {
      const report = await costOn(stack, { amount: 150, connections: 5, memoryMb: 512, log: () => {} });
      const mix: SampleRequest[] = [stack.contract.load.create(1_000_000).request, ...stack.contract.load.reads].map((r) => withCaptured(r, stack.captured));
      const routes = Object.keys(report.routes);
      expect(routes).toHaveLength(mix.length);
      expect(costTable(report)).toContain(routes[0]!);
      expect(report.memoryMb).toBe(512);
      expect(report.initMs).toBeGreaterThan(0);
      expect(report.coldStartRate).toBeGreaterThan(0); // the local API's one process started once, during the setup

      process.env.CURSOR_SECRET = "cost-test-cursor-secret-0123456789";
      process.env.TELEMETRY = "on";
      const capture = captureTelemetry();
      try {
        const handler = createApiHandler(stack.contract.api, { tableName: stack.tableName, endpoint: stack.endpoint });
        const send = (r: SampleRequest) =>
          handler(apiEvent(r.method, r.path, { ...(r.query ? { query: r.query } : {}), body: r.body }, callerClaims(stack.contract, r)));
        await send({ method: "GET", path: "/health", status: 200 }); // the cold start's check, out of the way
        for (const r of mix) expect((await send(r)).statusCode).toBe(r.status);
        const alone = capture.ofType("request").slice(1);
        expect(alone).toHaveLength(mix.length);
        for (const line of alone) {
          const route = report.routes[String(line.Route)]!;
          expect({ route: line.Route, read: route.readUnitsPerRequest, write: route.writeUnitsPerRequest }).toEqual({
            route: line.Route,
            read: line.ReadUnits,
            write: line.WriteUnits,
          });
          expect(route.perMillion.total).toBeGreaterThan(route.perMillion.apiGateway);
        }
      } finally {
        capture.stop();
        delete process.env.TELEMETRY;
      }
    }, FIXTURE);
  }, 180_000); // a load run on its own stack, then each request alone: a guard against a hang, not a speed target
});
