import { S3Client } from '@aws-sdk/client-s3';
import { startFauxqs } from 'fauxqs';

export interface TestS3 {
  readonly endpoint: string;
  readonly s3: S3Client;
  createBucket(name: string): void;
  stop(): Promise<void>;
}

/** fauxqs (real S3/SQS wire protocol, in process) on a free port, and a client for it. */
export async function startTestS3(): Promise<TestS3> {
  const server = await startFauxqs({ port: 0, logger: false });
  const endpoint = server.address;
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    endpoint,
    s3,
    createBucket: (name) => {
      server.createBucket(name);
    },
    stop: async () => {
      s3.destroy();
      await server.stop();
    },
  };
}
