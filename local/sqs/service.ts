import type { SQSClient } from '@aws-sdk/client-sqs';
import type { FauxqsApp } from '../aws/fauxqs.ts';
import { send } from '../aws/json-protocol.ts';
import type { Service } from '../registry.ts';
import { moveTaskActions } from './move-tasks.ts';

/**
 * What the embedded cloud adds to fauxqs's SQS: message move tasks, in SQS's JSON protocol
 * (every other action goes on to fauxqs).
 */
export function sqsExtensions(sqs: SQSClient, endpoint: string): Service {
  return {
    name: 'SQS message move tasks',
    json: {
      targetPrefix: 'AmazonSQS',
      actions: moveTaskActions(sqs, endpoint),
      contentType: 'application/x-amz-json-1.0',
      extends: true,
    },
  };
}

const OLDEST_AGE = /^\/_shopstream\/queues\/([^/?]+)\/oldest-age$/;

/** The age of a queue's oldest message, which AWS reports as a CloudWatch metric. */
export function queueAgeRoute(fauxqs: FauxqsApp): Service {
  return {
    name: 'queue age',
    rest: {
      pathPrefix: '/_shopstream/queues/',
      handle: async (req, res) => {
        const match = OLDEST_AGE.exec(req.url ?? '');
        if (!match) {
          send(res, 404, 'application/json', JSON.stringify({ message: 'no such queue route' }));
          return;
        }
        const age = fauxqs.oldestMessageAgeSeconds(decodeURIComponent(match[1] as string));
        send(res, 200, 'application/json', JSON.stringify({ ageSeconds: age }));
      },
    },
  };
}
