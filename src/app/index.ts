/**
 * Example app: replace what this object points at with your own routes,
 * migrations and errors; the handler serves whatever it says.
 *
 * The app as the library serves it: its routes, its migration index and the
 * statuses of its domain errors.
 */
import { type ApiDefinition } from "@dynamodb-starter/kit/runtime";
import { ConflictError, NotFoundError } from "./errors";
import { migrations } from "./migrations";
import { routes } from "./routes";

export const api: ApiDefinition = {
  migrations,
  routes,
  errors: [
    { error: NotFoundError, status: 404, code: "not_found" },
    { error: ConflictError, status: 409, code: "conflict" },
  ],
};
