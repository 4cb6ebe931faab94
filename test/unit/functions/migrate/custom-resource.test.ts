import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PHYSICAL_ID,
  sendCustomResourceResponse,
} from '../../../../functions/migrate/custom-resource.ts';

interface Received {
  method?: string;
  contentType?: string;
  body: Record<string, unknown>;
}

describe('custom resource response', () => {
  const received: Received[] = [];
  let url = '';
  let status = 200;
  const server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c) => {
      data += c;
    });
    req.on('end', () => {
      received.push({
        method: req.method,
        contentType: req.headers['content-type'],
        body: JSON.parse(data),
      });
      res.statusCode = status;
      res.end();
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response?X-Amz-Signature=abc`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const event = (type: 'Create' | 'Update'): CloudFormationCustomResourceEvent =>
    ({
      RequestType: type,
      ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:migrate',
      ResponseURL: url,
      StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/Shopstream/1',
      RequestId: 'req-1',
      LogicalResourceId: 'Migrations',
      ResourceType: 'Custom::DatabaseMigrations',
      ResourceProperties: { ServiceToken: 'x', MigrationsHash: 'h' },
      ...(type === 'Update' ? { PhysicalResourceId: 'kept-id', OldResourceProperties: {} } : {}),
    }) as CloudFormationCustomResourceEvent;

  it('PUTs the result CloudFormation expects, with an empty content type', async () => {
    await sendCustomResourceResponse(event('Create'), 'stream-1', {
      status: 'SUCCESS',
      data: { Applied: 4 },
    });
    expect(received.at(-1)).toEqual({
      method: 'PUT',
      contentType: '',
      body: {
        Status: 'SUCCESS',
        Reason: 'See CloudWatch log stream stream-1',
        PhysicalResourceId: PHYSICAL_ID,
        StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/Shopstream/1',
        RequestId: 'req-1',
        LogicalResourceId: 'Migrations',
        NoEcho: false,
        Data: { Applied: 4 },
      },
    });
  });

  it('keeps the physical id on update and carries a failure reason', async () => {
    await sendCustomResourceResponse(event('Update'), 's', {
      status: 'FAILED',
      reason: 'EditedMigrationError: x',
    });
    expect(received.at(-1)?.body).toMatchObject({
      Status: 'FAILED',
      Reason: 'EditedMigrationError: x',
      PhysicalResourceId: 'kept-id',
    });
  });

  it('throws when the response is refused', async () => {
    status = 403;
    await expect(
      sendCustomResourceResponse(event('Create'), 's', { status: 'SUCCESS' }),
    ).rejects.toThrow(/HTTP 403/);
    status = 200;
  });
});
