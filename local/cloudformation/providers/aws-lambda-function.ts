import type { FunctionConfig } from '../../lambda/environment.ts';
import { physicalName } from '../names.ts';
import type { ResourceProvider } from '../provider.ts';
import { resourceArn as arn } from '../provider.ts';

export const awsLambdaFunction: ResourceProvider = {
  type: 'AWS::Lambda::Function',
  async create(id, props, previous, s) {
    const name =
      (props.FunctionName as string | undefined) ??
      previous?.physicalId ??
      physicalName(s.stackName, id, 64);
    const code = (props.Code ?? {}) as Record<string, unknown>;
    const codeDir = typeof code.S3Key === 'string' ? (s.codeByS3Key.get(code.S3Key) ?? '') : '';
    const functionArn = arn(s, 'lambda', `function:${name}`);
    const logging = (props.LoggingConfig ?? {}) as Record<string, unknown>;
    const config: FunctionConfig = {
      name,
      arn: functionArn,
      runtime: String(props.Runtime ?? 'nodejs24.x'),
      handler: String(props.Handler ?? 'index.handler'),
      codeDir,
      timeoutSeconds: Number(props.Timeout ?? 3),
      memoryMb: Number(props.MemorySize ?? 128),
      environment: Object.fromEntries(
        Object.entries(
          ((props.Environment ?? {}) as { Variables?: Record<string, unknown> }).Variables ?? {},
        ).map(([k, v]) => [k, String(v)]),
      ),
      logGroup: typeof logging.LogGroup === 'string' ? logging.LogGroup : `/aws/lambda/${name}`,
    };
    if (config.runtime.startsWith('nodejs') && !codeDir) {
      throw new Error(
        `function ${id}: no asset for code ${JSON.stringify(code)} in the cloud assembly`,
      );
    }
    s.lambda.register(config);
    return { physicalId: name, attributes: { Arn: functionArn } };
  },
};
