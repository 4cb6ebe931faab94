import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/app.ts';

/**
 * The app as `cdk synth` builds it, with the given context. Lambda bundling is skipped
 * (`aws:cdk:bundling-stacks`): these tests read the template; `npm run synth` bundles for real.
 */
export function synthPipeline(context: Record<string, unknown> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const { stack } = buildApp(app);
  return { app, stack, template: Template.fromStack(stack) };
}

/** Resources of a type, by logical id. */
export function resourcesOf(
  template: Template,
  type: string,
): [string, { Properties: Record<string, unknown> }][] {
  return Object.entries(template.findResources(type)) as [
    string,
    { Properties: Record<string, unknown> },
  ][];
}
