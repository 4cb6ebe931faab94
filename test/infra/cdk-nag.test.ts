import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';

const appWith = (context: Record<string, unknown> = {}) =>
  new App({
    outdir: mkdtempSync(join(tmpdir(), 'cdk-out-')),
    context: { 'aws:cdk:bundling-stacks': [], ...context },
  });

describe('cdk-nag AwsSolutions checks', () => {
  it('pass on synth with every finding acknowledged, for both database modes', () => {
    expect(() => buildApp(appWith()).app.synth()).not.toThrow();
    const external = { database: 'external', dbHost: 'db', dbUser: 'u', dbPassword: 'p' };
    expect(() => buildApp(appWith(external)).app.synth()).not.toThrow();
  });

  it('fail synth on an unacknowledged finding', () => {
    const { app, stack } = buildApp(appWith());
    new sqs.Queue(stack, 'Unencrypted', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(() => app.synth()).toThrow();
  });
});
