import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface LandingBucketProps {
  /** Empty and delete the bucket with the stack. @default false: the bucket is kept */
  readonly destroyWithStack?: boolean;
}

/**
 * Where CSV files land: private, encrypted, TLS only, versioned. Ingest reads the version its
 * notification names, so a file overwritten before it is read still loads as it was written.
 * A replaced version is kept for 15 days: longer than the dead-letter queue keeps a message
 * (14), so a redriven message still finds its file.
 */
export class LandingBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LandingBucketProps = {}) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        {
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          noncurrentVersionExpiration: Duration.days(15),
        },
      ],
      removalPolicy: props.destroyWithStack ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Every object ingested is recorded in the ingested_files ledger; S3 access logs would duplicate it at extra cost.',
    });
  }
}
