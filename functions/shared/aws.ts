import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/**
 * An S3 client for the environment it runs in. Against an endpoint the environment names
 * (LocalStack, the embedded cloud) buckets are addressed by path, since `bucket.127.0.0.1`
 * does not resolve; on AWS nothing changes.
 */
export function createS3Client(config: S3ClientConfig = {}): S3Client {
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return new S3Client({ ...(endpoint ? { forcePathStyle: true } : {}), ...config });
}
