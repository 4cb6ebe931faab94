import { synthAssembly } from '../local/testing.ts';
import { buildApp } from './app.ts';

/** The product's CDK app synthesized for the embedded cloud, bundles and all, into a fresh assembly. */
export function synthPipelineAssembly(context: Record<string, unknown> = {}): string {
  return synthAssembly(
    (app) => {
      buildApp(app);
    },
    { target: 'local', generatorSchedule: 'off', ...context },
  );
}
