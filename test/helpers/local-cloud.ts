import type { App, Stack } from 'aws-cdk-lib';
import { synthAssembly as synth } from '../../local/testing.ts';

export { synthPipelineAssembly } from '../../infra/synth.ts';
export {
  databaseFromSecret,
  logGroupOf,
  startTestCloud,
  type TestCloud,
} from '../../local/testing.ts';

/** Synthesizes any stack (the fixtures) into a fresh cloud assembly. */
export function synthAssembly(define: (app: App) => Stack): string {
  return synth(define);
}
