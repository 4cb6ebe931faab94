import { Logger } from '@aws-lambda-powertools/logger';
import { Upload } from '@aws-sdk/lib-storage';
import type { Context } from 'aws-lambda';
import { createS3Client } from '#shared/aws.ts';
import { loadGeneratorConfig } from './config.ts';
import { type GeneratorRequest, runGenerator, type WrittenFile } from './run.ts';

const config = loadGeneratorConfig();
const logger = new Logger({ serviceName: 'shopstream-generator' });
const s3 = createS3Client();

/**
 * Scheduled by EventBridge (the event is then ignored) or invoked directly with
 * `{ files, rows, seed }`. Bodies are streamed to S3 in parts, never held whole.
 */
export const handler = async (
  event: unknown,
  context: Context,
): Promise<{ files: WrittenFile[] }> => {
  logger.addContext(context);
  const request = parseRequest(event);
  const files = await runGenerator(
    config,
    request,
    async (key, body, contentType) => {
      await new Upload({
        client: s3,
        params: { Bucket: config.bucket, Key: key, Body: body, ContentType: contentType },
      }).done();
    },
    (file) => logger.info('file written', { key: file.key, ...file.stats }),
  );
  return { files };
};

function parseRequest(event: unknown): GeneratorRequest {
  if (typeof event !== 'object' || event === null || 'source' in event) return {};
  const e = event as Record<string, unknown>;
  const count = (name: string) => {
    const value = e[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new TypeError(`"${name}" must be a non-negative integer`);
    }
    return value;
  };
  return {
    files: count('files'),
    rows: count('rows'),
    seed: count('seed'),
    intervalMs: count('intervalMs'),
  };
}
