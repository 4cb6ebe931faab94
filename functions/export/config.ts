import { integer, requiredString } from '#shared/config.ts';
import { DEFAULTS, EXPORT_ENV as ENV } from '#shared/contract.ts';

export interface ExportConfig {
  readonly databaseSecretId: string;
  readonly lakeBucket: string;
  readonly topicArn: string;
  /** Where the sweep queues files whose message was lost. */
  readonly exportQueueUrl: string;
  readonly sessionGapSeconds: number;
}

export function loadExportConfig(): ExportConfig {
  return {
    databaseSecretId: requiredString(ENV.databaseSecretArn),
    lakeBucket: requiredString(ENV.lakeBucket),
    topicArn: requiredString(ENV.topicArn),
    exportQueueUrl: requiredString(ENV.exportQueueUrl),
    sessionGapSeconds: integer(ENV.sessionGapSeconds, DEFAULTS.sessionGapSeconds, 1, 86_400),
  };
}
