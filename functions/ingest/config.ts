import { integer, optionalString, requiredString } from '#shared/config.ts';

export interface IngestConfig {
  /** The pipeline's own bucket: records naming any other are refused unread. */
  readonly bucket: string;
  /** Only keys under this prefix are ingested. */
  readonly prefix: string;
  readonly databaseSecretId: string;
  /** Connections one invocation may hold; part of the stack's connection budget. */
  readonly connectionsPerInvocation: number;
}

export function loadIngestConfig(): IngestConfig {
  return {
    bucket: requiredString('BUCKET_NAME'),
    prefix: optionalString('INCOMING_PREFIX', 'incoming/'),
    databaseSecretId: requiredString('DATABASE_SECRET_ARN'),
    connectionsPerInvocation: integer('DB_CONNECTIONS_PER_INVOCATION', 4, 1, 20),
  };
}
