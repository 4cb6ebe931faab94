import { integer, optionalString, rate, requiredString } from '#shared/config.ts';

export interface GeneratorConfig {
  readonly bucket: string;
  readonly prefix: string;
  readonly eventsPerFile: number;
  readonly filesPerInvocation: number;
  /** Pause between files, so one scheduled run can trickle files like a stream. */
  readonly fileIntervalMs: number;
  readonly dirtyRate: number;
  readonly duplicateRate: number;
  readonly lateRate: number;
  readonly gzip: boolean;
  /** Fixed seed for reproducible files; random when absent. */
  readonly seed: number | null;
}

export function loadGeneratorConfig(): GeneratorConfig {
  const seed = process.env.GENERATOR_SEED;
  return {
    bucket: requiredString('BUCKET_NAME'),
    prefix: optionalString('INCOMING_PREFIX', 'incoming/'),
    eventsPerFile: integer('EVENTS_PER_FILE', 500, 1, 10_000_000),
    filesPerInvocation: integer('FILES_PER_INVOCATION', 1, 1, 10_000),
    fileIntervalMs: integer('FILE_INTERVAL_MS', 0, 0, 900_000),
    dirtyRate: rate('DIRTY_RATE', 0.02),
    duplicateRate: rate('DUPLICATE_RATE', 0.005),
    lateRate: rate('LATE_RATE', 0.01),
    gzip: optionalString('GZIP', 'false') === 'true',
    seed: seed === undefined || seed === '' ? null : integer('GENERATOR_SEED', 0, 0, 2 ** 31 - 1),
  };
}
