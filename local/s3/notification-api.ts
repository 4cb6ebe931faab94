import type { IncomingMessage } from 'node:http';
import { escapeXml } from '../aws/query-protocol.ts';
import type { RequestHandler, Service } from '../registry.ts';
import type { S3Notifications } from './notifications.ts';
import { S3Failure, sendError, sendXml } from './responses.ts';

/**
 * S3's `?notification` sub-resource: GetBucketNotificationConfiguration answers the queue
 * configurations the stack deployed. The stack sets them itself (its custom resource), so
 * PutBucketNotificationConfiguration answers NotImplemented, naming the operation.
 */
export function notificationConfigurationService(
  notifications: S3Notifications,
  hasBucket: (bucket: string) => boolean,
): Service {
  return {
    name: 'S3 bucket notifications',
    s3: {
      route(req: IncomingMessage): RequestHandler | null {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const segments = url.pathname.split('/').filter((s) => s !== '');
        if (segments.length !== 1 || !url.searchParams.has('notification')) return null;
        const bucket = decodeURIComponent(segments[0] as string);
        return async (_rq, res) => {
          try {
            if (!hasBucket(bucket)) {
              throw new S3Failure('NoSuchBucket', 'The specified bucket does not exist', 404);
            }
            if (req.method !== 'GET') {
              throw new S3Failure(
                'NotImplemented',
                'PutBucketNotificationConfiguration is not served by the embedded cloud: the stack configures notifications',
                501,
              );
            }
            const configs = notifications.configuration(bucket).map((c) => {
              const rules = [
                ...(c.prefix ? [['Prefix', c.prefix]] : []),
                ...(c.suffix ? [['Suffix', c.suffix]] : []),
              ]
                .map(
                  ([name, value]) =>
                    `<FilterRule><Name>${name}</Name><Value>${escapeXml(value as string)}</Value></FilterRule>`,
                )
                .join('');
              return (
                `<QueueConfiguration><Id>${escapeXml(c.id)}</Id><Queue>${escapeXml(c.queueArn)}</Queue>` +
                c.events.map((e) => `<Event>${escapeXml(e)}</Event>`).join('') +
                (rules ? `<Filter><S3Key>${rules}</S3Key></Filter>` : '') +
                '</QueueConfiguration>'
              );
            });
            sendXml(
              res,
              200,
              `<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${configs.join('')}</NotificationConfiguration>`,
            );
          } catch (error) {
            sendError(res, error as Error, `/${bucket}`);
          }
        };
      },
    },
  };
}
