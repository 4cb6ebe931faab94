import type { ResourceProvider } from '../provider.ts';
import { awsCloudwatchAlarm } from './aws-cloudwatch-alarm.ts';
import { awsEventsRule } from './aws-events-rule.ts';
import { awsKmsKey } from './aws-kms-key.ts';
import { awsLambdaEventSourceMapping } from './aws-lambda-event-source-mapping.ts';
import { awsLambdaFunction } from './aws-lambda-function.ts';
import { awsLogsLogGroup } from './aws-logs-log-group.ts';
import { awsRdsDbInstance } from './aws-rds-db-instance.ts';
import { awsS3Bucket } from './aws-s3-bucket.ts';
import { awsSecretsmanagerSecret } from './aws-secretsmanager-secret.ts';
import { awsSecretsmanagerSecretTargetAttachment } from './aws-secretsmanager-secret-target-attachment.ts';
import { awsSnsSubscription } from './aws-sns-subscription.ts';
import { awsSnsTopic } from './aws-sns-topic.ts';
import { awsSqsQueue } from './aws-sqs-queue.ts';
import { customS3BucketNotifications } from './custom-s3-bucket-notifications.ts';

/** Every resource type the embedded cloud runs: adding one is a file and a line here. */
export const PROVIDERS: readonly ResourceProvider[] = [
  awsS3Bucket,
  awsSqsQueue,
  awsKmsKey,
  awsSnsTopic,
  awsSnsSubscription,
  awsLogsLogGroup,
  awsSecretsmanagerSecret,
  awsSecretsmanagerSecretTargetAttachment,
  awsRdsDbInstance,
  awsLambdaFunction,
  awsLambdaEventSourceMapping,
  awsEventsRule,
  awsCloudwatchAlarm,
  customS3BucketNotifications,
];
