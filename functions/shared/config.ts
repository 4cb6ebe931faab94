import { getNumberFromEnv, getStringFromEnv } from '@aws-lambda-powertools/commons/utils/env';

/** A setting from the environment that is missing or out of range; names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function requiredString(key: string): string {
  const value = getStringFromEnv({ key, errorMessage: `environment variable ${key} is required` });
  if (value === '') throw new ConfigError(`environment variable ${key} is required`);
  return value;
}

export function optionalString(key: string, defaultValue: string): string {
  return getStringFromEnv({ key, defaultValue }) || defaultValue;
}

/** An integer setting within [min, max]. */
export function integer(key: string, defaultValue: number, min: number, max: number): number {
  const raw = process.env[key];
  const value = raw === undefined || raw.trim() === '' ? defaultValue : getNumberFromEnv({ key });
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `environment variable ${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/** A rate in [0, 1]. */
export function rate(key: string, defaultValue: number): number {
  const raw = process.env[key];
  const value = raw === undefined || raw.trim() === '' ? defaultValue : Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new ConfigError(
      `environment variable ${key} must be a number from 0 to 1, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}
