import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import pg from 'pg';
import { parseDatabaseSecret, poolConfig } from '#shared/database.ts';
import { TEST_CREDENTIALS } from '../../local/index.ts';
import { ledgerTotals } from './pipeline-figures.ts';

export interface PipelineStatus {
  readonly files: number;
  readonly rowsLoaded: number;
  readonly rowsRejected: number;
  readonly rowsPerSecond: number;
  readonly queueDepth: number;
  readonly deadLetters: number;
}

export interface StatusSource {
  read(): Promise<PipelineStatus>;
  close(): Promise<void>;
}

/** Reads the pipeline's figures the way an operator would: the ledger and the queues. */
export async function openStatus(
  endpoint: string,
  region: string,
  outputs: Record<string, string>,
): Promise<StatusSource> {
  const config = {
    endpoint,
    region,
    credentials: TEST_CREDENTIALS,
  };
  const secrets = new SecretsManagerClient(config);
  const value = await secrets.send(
    new GetSecretValueCommand({ SecretId: outputs.DatabaseSecretArn }),
  );
  secrets.destroy();
  const pool = new pg.Pool(
    poolConfig(parseDatabaseSecret(JSON.parse(value.SecretString ?? '{}')), {
      max: 1,
      applicationName: 'shopstream-status',
    }),
  );
  // The database stops with the cloud; an idle connection's error then is expected.
  pool.on('error', () => {});
  const sqs = new SQSClient(config);
  let last: { at: number; rows: number } | null = null;

  const depth = async (url: string | undefined) => {
    if (!url) return 0;
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  };

  return {
    async read() {
      const totals = await ledgerTotals(pool);
      const now = Date.now();
      const loaded = totals.rowsLoaded;
      const rate = last && now > last.at ? ((loaded - last.rows) * 1000) / (now - last.at) : 0;
      last = { at: now, rows: loaded };
      const [queueDepth, deadLetters] = await Promise.all([
        depth(outputs.IngestQueueUrl),
        depth(outputs.DeadLetterQueueUrl),
      ]);
      return {
        files: totals.files,
        rowsLoaded: loaded,
        rowsRejected: totals.rowsRejected,
        rowsPerSecond: Math.max(0, Math.round(rate)),
        queueDepth,
        deadLetters,
      };
    },
    async close() {
      sqs.destroy();
      await pool.end();
    },
  };
}

const n = (value: number) => value.toLocaleString('en-US');

export function formatStatus(s: PipelineStatus): string {
  return `files ${n(s.files)} · rows ${n(s.rowsLoaded)} loaded · ${n(s.rowsRejected)} rejected · ${n(s.rowsPerSecond)} rows/s · queue ${n(s.queueDepth)} · DLQ ${n(s.deadLetters)}`;
}
