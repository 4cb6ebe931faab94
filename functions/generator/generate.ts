import { Readable } from 'node:stream';
import { en, Faker } from '@faker-js/faker';
import { stringify } from 'csv-stringify';
import { FIELDS } from '#shared/event-fields.ts';
import { type ActivityEvent, buildUsers, sessions } from './activity.ts';
import { buildCatalogue } from './catalogue.ts';
import { makeDirty, type Row } from './dirty.ts';

/** The generator writes every column of the contract, under its canonical name. */
export const COLUMNS: readonly (keyof ActivityEvent)[] = FIELDS;

export interface FileSpec {
  readonly rows: number;
  /** Share of rows mangled; about half of those must be quarantined, half repaired. */
  readonly dirtyRate: number;
  /** Share of rows that repeat an earlier row of the file, event_id and all. */
  readonly duplicateRate: number;
  /**
   * Share of rows that arrive 3 to 15 minutes after they happened: behind the watermark
   * (2 minutes by default), so their windows have closed and are corrected.
   */
  readonly lateRate: number;
  /** Share of sessions without a session id. @default 0 */
  readonly sessionlessRate?: number;
  readonly seed: number;
  /** Event times fall in the minute before this instant. */
  readonly now: number;
  readonly users?: number;
  readonly catalogueSize?: number;
}

/** What a file holds, so a caller can tell what ingestion must make of it. */
export interface FileStats {
  rows: number;
  /** Rows that break a rule and must be rejected. */
  invalid: number;
  /** Rows with a dirt ingestion must repair. */
  repaired: number;
  /** Valid rows repeating an earlier valid row's event_id. */
  duplicates: number;
  late: number;
}

/** Rows of one file, with the tally of what went into them. */
export function generateRows(spec: FileSpec): { rows: Iterable<Row>; stats: FileStats } {
  const stats: FileStats = { rows: 0, invalid: 0, repaired: 0, duplicates: 0, late: 0 };
  function* rows(): Generator<Row> {
    const faker = new Faker({ locale: [en] });
    faker.seed(spec.seed);
    const catalogue = buildCatalogue(spec.catalogueSize ?? 500);
    const users = buildUsers(faker, spec.users ?? 2_000);
    const activity = sessions(
      faker,
      catalogue,
      users,
      spec.now - 60_000,
      59_000,
      spec.sessionlessRate ?? 0,
    );
    const recent: Row[] = [];
    for (let i = 0; i < spec.rows; i++) {
      if (recent.length > 0 && faker.number.float() < spec.duplicateRate) {
        stats.rows++;
        stats.duplicates++;
        yield { ...faker.helpers.arrayElement(recent) };
        continue;
      }
      const row: Row = { ...(activity.next().value as ActivityEvent) };
      if (faker.number.float() < spec.lateRate) {
        stats.late++;
        row.event_time = new Date(
          Date.parse(row.event_time) - faker.number.int({ min: 3 * 60_000, max: 15 * 60_000 }),
        ).toISOString();
      }
      let valid = true;
      if (faker.number.float() < spec.dirtyRate) {
        const variant = makeDirty(row, faker);
        if (variant.kind === 'invalid') {
          valid = false;
          stats.invalid++;
        } else {
          stats.repaired++;
        }
      }
      if (valid) {
        if (recent.length < 64) recent.push(row);
        else recent[faker.number.int({ max: 63 })] = row;
      }
      stats.rows++;
      yield row;
    }
  }
  return { rows: rows(), stats };
}

/** The file as a CSV byte stream, header first; `stats` is complete once it has ended. */
export function csvFile(spec: FileSpec): { stream: Readable; stats: FileStats } {
  const { rows, stats } = generateRows(spec);
  const stream = Readable.from(rows).pipe(stringify({ header: true, columns: [...COLUMNS] }));
  return { stream, stats };
}
