/** The example app's handler, called as API Gateway calls it: as the operator (admin scope) unless a call says who. */
import { contract } from "../../src/app/contract";
import { handler } from "../../src/handlers/api";
import { apiClient } from "@dynamodb-starter/kit/testing";

export const { api, allPages } = apiClient(handler, contract.callers.ops);
export type { Call } from "@dynamodb-starter/kit/testing";
