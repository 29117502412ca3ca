import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiRouteTable } from "@dynamodb-starter/kit/runtime";
import { httpFunction } from "../src/functions";
import { BACKFILL_WORKER } from "../src/build";
import { writeVarFile } from "../src/aws/terraform";
import { contract, functions, service, someAwsDeployment } from "./service";

// Whatever app the service's contract describes: its routes reach API Gateway from its own route table.
describe("the app's routes at the edge", () => {
  it("reach Terraform's variables from the app's route table, each with its scopes; only the public ones skip the authorizer", () => {
    const dir = mkdtempSync(join(tmpdir(), "routes-"));
    const zips = [...functions.map((f) => f.name), BACKFILL_WORKER].map((name) => ({ name, zipFile: join(dir, `${name}.zip`) }));
    const vars = JSON.parse(readFileSync(writeVarFile(someAwsDeployment(), functions, zips, service, dir), "utf8"));
    const table = apiRouteTable(contract.api);
    expect(vars.routes).toEqual(Object.fromEntries(table.map((r) => [r.routeKey, { public: r.public, scopes: r.scopes }])));
    expect(Object.keys(vars.routes)).toEqual(expect.arrayContaining(["GET /health", ...Object.keys(contract.api.routes)]));
    expect(vars.routes["GET /health"]).toEqual({ public: true, scopes: [] });
    // Every key is one API Gateway takes, as the Terraform's variables.tf validates it.
    for (const key of Object.keys(vars.routes)) expect(key).toMatch(/^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) \/\S*$/);
  });

  it("are the routes the deployed HTTP handler exports for the local API's authorizer", () => {
    const { routes } = require(httpFunction(functions).file) as { routes?: unknown };
    expect(routes).toEqual(apiRouteTable(contract.api));
  });
});
