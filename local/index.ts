/**
 * The embedded cloud's public surface: what the project's commands and tests use. Everything
 * else in local/ is its own business.
 */
export {
  type LocalCloud,
  type LocalCloudOptions,
  removeCloudState,
  runningEndpoint,
  startLocalCloud,
} from './cloud.ts';
export { ACCOUNT_ID, DEFAULT_PORT, DEFAULT_REGION, TEST_CREDENTIALS } from './constants.ts';
export { compileFilterPattern, FilterPatternError } from './logs/filter-pattern.ts';
export { takeTerminationSignals } from './postgres/server.ts';
export { freePort } from './shared/free-port.ts';
