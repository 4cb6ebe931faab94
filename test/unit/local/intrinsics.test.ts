import { describe, expect, it } from 'vitest';
import { deploymentOrder } from '../../../local/cloudformation/deploy.ts';
import {
  type ResolveContext,
  resolve,
  TemplateError,
} from '../../../local/cloudformation/intrinsics.ts';

const ctx: ResolveContext = {
  region: 'eu-west-1',
  accountId: '000000000000',
  stackName: 'S',
  stackId: 'arn:stack',
  ref: (id) => `phys-${id}`,
  getAtt: (id, attr) => `${id}.${attr}`,
  condition: (name) => name === 'Yes',
  mapping: (m, a, b) => `${m}/${a}/${b}`,
  secretValue: (id, key) => `secret(${id},${key ?? ''})`,
};

describe('intrinsic functions', () => {
  it('resolves the functions CDK templates use', () => {
    expect(
      resolve(
        {
          a: { Ref: 'Bucket' },
          b: { 'Fn::GetAtt': ['Queue', 'Arn'] },
          c: { 'Fn::Join': ['-', ['x', { Ref: 'AWS::Region' }]] },
          d: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/${Queue.Arn}' },
          e: { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] },
          f: { 'Fn::Split': [',', 'a,b'] },
          g: { 'Fn::If': ['Yes', 1, 2] },
          h: { 'Fn::If': ['No', 1, { Ref: 'AWS::NoValue' }] },
          i: { 'Fn::Equals': ['a', 'a'] },
          j: { 'Fn::Sub': ['${X}-${!Literal}', { X: { Ref: 'Thing' } }] },
        },
        ctx,
      ),
    ).toEqual({
      a: 'phys-Bucket',
      b: 'Queue.Arn',
      c: 'x-eu-west-1',
      d: 'arn:aws:s3:::phys-Bucket/Queue.Arn',
      e: 'eu-west-1b',
      f: ['a', 'b'],
      g: 1,
      i: true,
      j: 'phys-Thing-${Literal}',
    });
  });

  it('resolves secretsmanager dynamic references, ARN colons and all', () => {
    expect(
      resolve(
        {
          'Fn::Join': [
            '',
            [
              '{{resolve:secretsmanager:',
              'arn:aws:secretsmanager:eu-west-1:0:secret:db-AbC',
              ':SecretString:password::}}',
            ],
          ],
        },
        ctx,
      ),
    ).toBe('secret(arn:aws:secretsmanager:eu-west-1:0:secret:db-AbC,password)');
  });

  it('orders resources after what they reference or depend on, and refuses cycles', () => {
    expect(
      deploymentOrder({
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] } },
        },
        Role: { Type: 'AWS::IAM::Role' },
        Mapping: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: { FunctionName: { Ref: 'Fn' } },
          DependsOn: ['Policy'],
        },
        Policy: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: 'Role' }] } },
      }),
    ).toEqual(['Role', 'Fn', 'Policy', 'Mapping']);
    expect(() =>
      deploymentOrder({ A: { Type: 'x', DependsOn: 'B' }, B: { Type: 'x', DependsOn: 'A' } }),
    ).toThrow(TemplateError);
  });
});
