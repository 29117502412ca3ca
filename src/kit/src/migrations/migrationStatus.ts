/** Pending / executed arithmetic shared by connect() and the runner; loads no umzug. */
import type { Migration } from "./migration";

export interface MigrationStatus {
  /** In index order. */
  executed: string[];
  /** In index order: what `up` would run. */
  pending: string[];
  /** Recorded in the table but absent from this code's index: newer code ran against this table. */
  unknown: string[];
}

export function migrationStatus(migrations: readonly Migration[], executedNames: Iterable<string>): MigrationStatus {
  const done = new Set(executedNames);
  const known = new Set(migrations.map((m) => m.name));
  return {
    executed: migrations.filter((m) => done.has(m.name)).map((m) => m.name),
    pending: migrations.filter((m) => !done.has(m.name)).map((m) => m.name),
    unknown: [...done].filter((name) => !known.has(name)).sort(),
  };
}
