import type { ResourceProvider } from '../provider.ts';
import { UnsupportedResourceError } from '../provider.ts';

export const awsLambdaEventSourceMapping: ResourceProvider = {
  type: 'AWS::Lambda::EventSourceMapping',
  async create(_id, props, previous) {
    const uuid = previous?.physicalId ?? crypto.randomUUID();
    const scaling = (props.ScalingConfig ?? {}) as Record<string, unknown>;
    const source = String(props.EventSourceArn ?? '');
    if (!source.startsWith('arn:aws:sqs:')) {
      throw new UnsupportedResourceError(
        `event source ${source} is not an SQS queue; the embedded cloud maps SQS only`,
      );
    }
    const spec = {
      id: uuid,
      queueArn: source,
      functionName: String(props.FunctionName),
      batchSize: Number(props.BatchSize ?? 10),
      batchingWindowSeconds: Number(props.MaximumBatchingWindowInSeconds ?? 0),
      reportBatchItemFailures: ((props.FunctionResponseTypes ?? []) as string[]).includes(
        'ReportBatchItemFailures',
      ),
      maxConcurrency: Number(scaling.MaximumConcurrency ?? 5),
      enabled: props.Enabled !== false,
    };
    return { physicalId: uuid, runtime: { kind: 'sqs-event-source', spec } as const };
  },
};
