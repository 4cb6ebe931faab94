import type { QueueNotification } from '../../s3/notifications.ts';
import type { ResourceProvider } from '../provider.ts';
import { UnsupportedResourceError } from '../provider.ts';

export const customS3BucketNotifications: ResourceProvider = {
  type: 'Custom::S3BucketNotifications',
  async create(id, props, previous, s) {
    const bucket = String(props.BucketName);
    const config = (props.NotificationConfiguration ?? {}) as Record<string, unknown[]>;
    for (const kind of ['LambdaFunctionConfigurations', 'TopicConfigurations']) {
      if ((config[kind] ?? []).length > 0) {
        throw new UnsupportedResourceError(
          `${id}: ${kind} are not delivered by the embedded cloud (queues only)`,
        );
      }
    }
    if (
      JSON.stringify(previous?.properties) !== JSON.stringify(props) ||
      s.notifications.configuration(bucket).length === 0
    ) {
      const queues: QueueNotification[] = (
        (config.QueueConfigurations ?? []) as Record<string, unknown>[]
      ).map((q, i) => {
        const rules = ((
          (q.Filter as Record<string, unknown> | undefined)?.Key as
            | Record<string, unknown>
            | undefined
        )?.FilterRules ?? []) as {
          Name: string;
          Value: string;
        }[];
        return {
          id: String(q.Id ?? `${id}-${i}`),
          queueArn: String(q.QueueArn),
          events: (q.Events ?? []) as string[],
          prefix: rules.find((r) => r.Name.toLowerCase() === 'prefix')?.Value,
          suffix: rules.find((r) => r.Name.toLowerCase() === 'suffix')?.Value,
        };
      });
      await s.notifications.configure(bucket, queues);
    }
    return { physicalId: previous?.physicalId ?? `${bucket}-notifications` };
  },
};
