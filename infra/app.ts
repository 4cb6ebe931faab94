import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PipelineStack } from './pipeline-stack.ts';
import { readSettings, SettingsError } from './settings.ts';

/** The one CDK app: `cdk deploy` (AWS), `cdklocal deploy` (LocalStack), `npm start` (embedded). */
export function buildApp(app = new App()): { app: App; stack: PipelineStack } {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new PipelineStack(app, app.node.tryGetContext('stackName') ?? 'Shopstream', {
    description: 'shopstream: e-commerce events from S3 through SQS and Lambda into PostgreSQL',
    settings: readSettings(app.node),
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  return { app, stack };
}

if (import.meta.main) {
  try {
    buildApp().app.synth();
  } catch (error) {
    // A bad -c setting is the user's to fix: one line, not a stack trace.
    if (!(error instanceof SettingsError)) throw error;
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
}
