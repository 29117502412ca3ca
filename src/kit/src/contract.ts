/**
 * What an app hands its tooling, and a handler never imports: the contract
 * (callers, the walkthrough of sample requests, the load mix, the seed) that
 * the seed import, the load test, the benchmark, the wiring checks and the
 * local deployment read instead of the app's own routes or keys.
 */
export {
  walk,
  withCaptured,
  callerClaims,
  defineSeed,
  type AppContract,
  type CallerClaims,
  type SampleRequest,
  type LoadMix,
  type CreatedKey,
  type SeedDefinition,
  type SeedRecords,
} from "./contract/appContract";
export { openApiDocument, undeclaredRoutes, contractChecker, operationOf, type OpenApiInfo, type ContractProblem } from "./contract/openapi";
