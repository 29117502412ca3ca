/** Building responses: JSON with a status, the shape every route and error uses. */
import type { Result } from "./router";

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): Result => ({
  statusCode,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});
