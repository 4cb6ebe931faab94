import { integer, optionalString, rate, requiredString } from '#shared/config.ts';
import {
  GENERATOR_ENV as ENV,
  INCOMING_PREFIX,
  GENERATOR_OPTIONAL_ENV as OPTIONAL,
} from '#shared/contract.ts';

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
  readonly sessionlessRate: number;
  readonly gzip: boolean;
  /** Fixed seed for reproducible files; random when absent. */
  readonly seed: number | null;
}

export function loadGeneratorConfig(): GeneratorConfig {
  const seed = process.env[OPTIONAL.seed];
  return {
    bucket: requiredString(ENV.bucket),
    prefix: optionalString(ENV.prefix, INCOMING_PREFIX),
    eventsPerFile: integer(ENV.eventsPerFile, 500, 1, 10_000_000),
    filesPerInvocation: integer(ENV.filesPerInvocation, 1, 1, 10_000),
    fileIntervalMs: integer(ENV.fileIntervalMs, 0, 0, 900_000),
    dirtyRate: rate(OPTIONAL.dirtyRate, 0.02),
    duplicateRate: rate(OPTIONAL.duplicateRate, 0.005),
    lateRate: rate(OPTIONAL.lateRate, 0.01),
    sessionlessRate: rate(OPTIONAL.sessionlessRate, 0.2),
    gzip: optionalString(OPTIONAL.gzip, 'false') === 'true',
    seed: seed === undefined || seed === '' ? null : integer(OPTIONAL.seed, 0, 0, 2 ** 31 - 1),
  };
}
