import { describe, expect, it } from 'vitest';
import {
  EditedMigrationError,
  InvalidMigrationNameError,
  MissingMigrationError,
  OutOfOrderMigrationError,
} from '../../../../functions/migrate/errors.ts';
import { planMigrations, toMigration } from '../../../../functions/migrate/plan.ts';

const a = toMigration('0001_a.sql', 'CREATE TABLE a ();');
const b = toMigration('0002_b.sql', 'CREATE TABLE b ();');
const c = toMigration('0003_c.sql', 'CREATE TABLE c ();');

describe('planMigrations', () => {
  it('runs everything, in name order, on an empty database', () => {
    expect(planMigrations([c, a, b], []).map((m) => m.name)).toEqual([
      '0001_a.sql',
      '0002_b.sql',
      '0003_c.sql',
    ]);
  });

  it('runs only what is not applied yet', () => {
    expect(planMigrations([a, b, c], [a]).map((m) => m.name)).toEqual(['0002_b.sql', '0003_c.sql']);
    expect(planMigrations([a, b, c], [a, b, c])).toEqual([]);
  });

  it('refuses an applied migration whose file was edited', () => {
    const edited = toMigration('0001_a.sql', 'CREATE TABLE a (id int);');
    expect(() => planMigrations([edited, b], [a])).toThrow(EditedMigrationError);
  });

  it('refuses an applied migration whose file is gone', () => {
    expect(() => planMigrations([b], [a, b])).toThrow(MissingMigrationError);
  });

  it('refuses a new migration that sorts before an applied one', () => {
    expect(() => planMigrations([a, b, c], [a, c])).toThrow(OutOfOrderMigrationError);
  });

  it('refuses file names without a number', () => {
    expect(() => toMigration('create.sql', '')).toThrow(InvalidMigrationNameError);
    expect(() => toMigration('1_create.sql', '')).toThrow(InvalidMigrationNameError);
  });
});
