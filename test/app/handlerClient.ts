/** The example app's handler, called as API Gateway calls it. */
import { handler } from "../../src/handlers/api";
import { apiClient } from "../support/api";

export const { api, allPages } = apiClient(handler);
export type { Call } from "../support/api";
