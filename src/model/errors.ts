/** What the service reports to its callers; the HTTP layer maps each to a status. */

export class NotFoundError extends Error {
  override name = "NotFoundError";
  constructor(readonly entity: string, readonly id: string) {
    super(`${entity} "${id}" does not exist`);
  }
}

export class ConflictError extends Error {
  override name = "ConflictError";
  constructor(message: string) {
    super(message);
  }
}

export class InvalidCursorError extends Error {
  override name = "InvalidCursorError";
  constructor() {
    super("cursor is invalid, was altered, or belongs to another list; start again without it");
  }
}
