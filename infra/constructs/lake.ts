import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { LAKE_COLUMNS, LAKE_PREFIX, type LakeColumnType } from '#shared/lake.ts';

/** A lake column's type as Glue (and Athena) name it. */
function glueType(type: LakeColumnType): glue.Type {
  switch (type.kind) {
    case 'string':
      return glue.Schema.STRING;
    case 'timestamp':
      return glue.Schema.TIMESTAMP;
    case 'decimal':
      return glue.Schema.decimal(type.precision, 2);
    case 'int32':
      return glue.Schema.INTEGER;
    case 'int64':
      return glue.Schema.BIG_INT;
  }
}

export interface LakeProps {
  /** Bytes one Athena query may scan before it is cancelled. @default 10 GiB */
  readonly bytesScannedCutoff?: number;
}

/** First date partition projection enumerates: the lake holds no event before it. */
export const LAKE_START_DATE = '2024-01-01';

const secureBucket = (
  scope: Construct,
  id: string,
  why: string,
  rules: s3.LifecycleRule[] = [],
) => {
  const bucket = new s3.Bucket(scope, id, {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(1) }, ...rules],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: why });
  return bucket;
};

/**
 * The Parquet data lake: its bucket (private, encrypted, TLS only, as the landing bucket), the
 * Glue table over `events/event_date=.../` with partition projection (no crawler, no partition
 * to add), and an Athena workgroup that enforces encrypted results and a scan cutoff.
 */
export class Lake extends Construct {
  readonly bucket: s3.Bucket;
  readonly database: glue.Database;
  readonly table: glue.S3Table;
  readonly workGroup: athena.CfnWorkGroup;

  constructor(scope: Construct, id: string, props: LakeProps = {}) {
    super(scope, id);
    this.bucket = secureBucket(
      this,
      'Bucket',
      'Every object is written by the export function and recorded in the ingested_files ledger; access logs would duplicate it.',
    );
    const results = secureBucket(
      this,
      'QueryResults',
      'Athena query results only, expired after a week; the workgroup records every query.',
      [{ expiration: Duration.days(7) }],
    );
    const stack = Stack.of(this);
    this.database = new glue.Database(this, 'Database', {
      databaseName: `${stack.stackName.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_lake`,
      description: 'shopstream: events exported from PostgreSQL, exactly once',
    });
    this.table = new glue.S3Table(this, 'Events', {
      database: this.database,
      tableName: 'events',
      description: 'One row per loaded event; docs/lake-and-stream.md',
      storage: glue.S3TableStorage.fromBucket(this.bucket),
      s3Prefix: LAKE_PREFIX,
      dataFormat: glue.DataFormat.PARQUET,
      columns: LAKE_COLUMNS.map(({ name, type }) => ({ name, type: glueType(type) })),
      partitionKeys: [{ name: 'event_date', type: glue.Schema.STRING }],
      partitionProjection: {
        event_date: glue.PartitionProjectionConfiguration.date({
          min: LAKE_START_DATE,
          max: 'NOW',
          format: 'yyyy-MM-dd',
          step: { interval: 1, intervalUnit: glue.DateIntervalUnit.DAYS },
        }),
      },
    });
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: `${stack.stackName}-lake`,
      description: 'shopstream lake queries: encrypted results, a cutoff on bytes scanned',
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoff ?? 10 * 1024 ** 3,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: results.s3UrlForObject('athena/'),
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }
}
