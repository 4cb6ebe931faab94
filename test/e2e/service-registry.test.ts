import { DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetRandomPasswordCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, synthPipelineAssembly, type TestCloud } from '../helpers/local-cloud.ts';

describe('the services on the endpoint, through the AWS SDK', () => {
  let t: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud(synthPipelineAssembly());
  }, 120_000);
  afterAll(() => t?.stop());

  it('serves an action registered as one file and one line (GetRandomPassword)', async () => {
    const out = await t.secrets.send(
      new GetRandomPasswordCommand({ PasswordLength: 40, ExcludePunctuation: true }),
    );
    expect(out.RandomPassword).toMatch(/^[A-Za-z0-9]{40}$/);
  });

  it('answers an operation it does not serve in the service own error format, naming it', async () => {
    await expect(
      t.logs.send(new DeleteLogGroupCommand({ logGroupName: '/aws/lambda/x' })),
    ).rejects.toMatchObject({
      name: 'UnknownOperationException',
      message: 'DeleteLogGroup is not supported by the embedded cloud',
    });
  });
});
