import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import pg from 'pg';
import { requiredString } from '#shared/config.ts';
import { MIGRATIONS_ENV } from '#shared/contract.ts';
import { parseDatabaseSecret, poolConfig } from '#shared/database.ts';
import { type CustomResourceResult, sendCustomResourceResponse } from './custom-resource.ts';
import { loadMigrations } from './load.ts';
import { ensureWriterLogin } from './roles.ts';
import { runMigrations } from './runner.ts';

const secretId = requiredString(MIGRATIONS_ENV.databaseSecretArn);
const ingestSecretId = requiredString(MIGRATIONS_ENV.ingestSecretArn);
/** The bundle carries sql/ beside it. */
const migrationsDir =
  process.env.MIGRATIONS_DIR ?? join(dirname(fileURLToPath(import.meta.url)), 'sql');
const logger = new Logger({ serviceName: 'shopstream-migrate' });

/**
 * The `Custom::DatabaseMigrations` resource: applies sql/ on create and on every update (the
 * resource carries a hash of sql/, so changed SQL means an update); delete keeps the data.
 */
export const handler = async (
  event: CloudFormationCustomResourceEvent,
  context: Context,
): Promise<void> => {
  logger.addContext(context);
  let result: CustomResourceResult;
  try {
    result =
      event.RequestType === 'Delete'
        ? { status: 'SUCCESS', data: { Applied: 0 } }
        : await migrate();
  } catch (error) {
    logger.error('migrations failed', { error: error as Error });
    result = { status: 'FAILED', reason: `${(error as Error).name}: ${(error as Error).message}` };
  }
  await sendCustomResourceResponse(event, context.logStreamName, result);
};

async function migrate(): Promise<CustomResourceResult> {
  const secret = parseDatabaseSecret(await getSecret(secretId, { transform: 'json' }));
  const ingest = parseDatabaseSecret(await getSecret(ingestSecretId, { transform: 'json' }));
  const client = new pg.Client(
    poolConfig(secret, { max: 1, applicationName: 'shopstream-migrate' }),
  );
  await client.connect();
  try {
    const result = await runMigrations(client, await loadMigrations(migrationsDir), (m) =>
      logger.info(m),
    );
    const login = await ensureWriterLogin(client, ingest);
    logger.info('migrations done', {
      applied: result.applied,
      alreadyApplied: result.alreadyApplied,
      ingestRole: `${ingest.username} ${login}`,
    });
    return {
      status: 'SUCCESS',
      data: {
        Applied: result.applied.length,
        Total: result.applied.length + result.alreadyApplied,
      },
    };
  } finally {
    await client.end();
  }
}
