/**
 * Example app: you will most likely replace these with your own domain errors.
 *
 * What the service reports to its callers; src/app/index.ts maps each to an HTTP status.
 */

export class NotFoundError extends Error {
  override name = "NotFoundError";
  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} "${id}" does not exist`);
  }
}

export class ConflictError extends Error {
  override name = "ConflictError";
  constructor(message: string) {
    super(message);
  }
}
