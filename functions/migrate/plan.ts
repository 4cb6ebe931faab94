import { createHash } from 'node:crypto';
import {
  EditedMigrationError,
  InvalidMigrationNameError,
  MissingMigrationError,
  OutOfOrderMigrationError,
} from './errors.ts';

export interface Migration {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface AppliedMigration {
  readonly name: string;
  readonly checksum: string;
}

const NAME = /^\d{4}_[a-z0-9][a-z0-9_-]*\.sql$/;

export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

export function toMigration(name: string, sql: string): Migration {
  if (!NAME.test(name)) {
    throw new InvalidMigrationNameError(
      `migration file "${name}" must be named NNNN_description.sql (lower case)`,
    );
  }
  return { name, sql, checksum: checksumOf(sql) };
}

/**
 * Decides which migrations to run, refusing any history the files no longer describe: an
 * edited or deleted applied migration, or a new one that sorts before an applied one.
 */
export function planMigrations(
  available: readonly Migration[],
  applied: readonly AppliedMigration[],
): Migration[] {
  const sorted = [...available].sort((a, b) => a.name.localeCompare(b.name));
  const byName = new Map(sorted.map((m) => [m.name, m]));
  for (const done of applied) {
    const file = byName.get(done.name);
    if (!file) {
      throw new MissingMigrationError(
        `migration ${done.name} is applied to the database but missing from sql/`,
      );
    }
    if (file.checksum !== done.checksum) {
      throw new EditedMigrationError(
        `migration ${done.name} was edited after it was applied (checksum ${done.checksum.slice(0, 12)} in the database, ${file.checksum.slice(0, 12)} on disk); add a new migration instead`,
      );
    }
  }
  const appliedNames = new Set(applied.map((m) => m.name));
  const lastApplied = [...appliedNames].sort().at(-1);
  const pending = sorted.filter((m) => !appliedNames.has(m.name));
  const early = pending.find((m) => lastApplied !== undefined && m.name < lastApplied);
  if (early) {
    throw new OutOfOrderMigrationError(
      `migration ${early.name} sorts before ${lastApplied}, which is already applied; renumber it`,
    );
  }
  return pending;
}
