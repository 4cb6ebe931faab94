import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, it } from 'vitest';
import { startLocalCloud } from '../../local/cloud.ts';
import { synthAssembly } from '../helpers/local-cloud.ts';

describe('deploying a stack with a resource the embedded cloud does not run', () => {
  it('stops with an error that names the resource and its type', async () => {
    const assembly = synthAssembly((app) => {
      const stack = new Stack(app, 'Unsupported');
      new dynamodb.Table(stack, 'Orders', {
        partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      });
      return stack;
    });
    await expect(
      startLocalCloud({
        port: 0,
        stateDir: mkdtempSync(join(tmpdir(), 'shopstream-state-')),
        assemblyDir: assembly,
      }),
    ).rejects.toThrow(
      /resource Orders[0-9A-F]+ has type AWS::DynamoDB::Table, which the embedded cloud does not run/,
    );
  });
});
