import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustomResource, Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { environmentOf, MIGRATIONS_ENV } from '#shared/contract.ts';
import { PipelineFunction, PROJECT_ROOT } from './pipeline-function.ts';

export interface MigrationsProps {
  /** The master user's: the one the migrations connect with. */
  readonly secret: secretsmanager.ISecret;
  /** Ingest's login role, created or given its password again on every run. */
  readonly ingestSecret: secretsmanager.ISecret;
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/** Hash of every migration file: the resource updates, and so re-runs, when any changes. */
export function migrationsHash(dir = join(PROJECT_ROOT, 'sql')): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.sql'))
    .sort()) {
    hash
      .update(name)
      .update('\0')
      .update(readFileSync(join(dir, name)))
      .update('\0');
  }
  return hash.digest('hex');
}

/**
 * Applies sql/ through the same runner the tests use, as a custom resource backed directly by
 * a Lambda function (it answers CloudFormation's response URL itself).
 */
export class Migrations extends Construct {
  readonly handler: PipelineFunction;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: MigrationsProps) {
    super(scope, id);
    this.handler = new PipelineFunction(this, 'Handler', {
      entry: 'functions/migrate/handler.ts',
      timeout: Duration.minutes(5),
      memorySize: 256,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      copyFolders: ['sql'],
      environment: {
        ...environmentOf(MIGRATIONS_ENV, {
          databaseSecretArn: props.secret.secretArn,
          ingestSecretArn: props.ingestSecret.secretArn,
        }),
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      },
    });
    props.secret.grantRead(this.handler.function);
    props.ingestSecret.grantRead(this.handler.function);
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.handler.function.functionArn,
      resourceType: 'Custom::DatabaseMigrations',
      // A new ingest secret (a replaced one) runs the migrations again, which set its password.
      properties: {
        MigrationsHash: migrationsHash(),
        IngestSecretArn: props.ingestSecret.secretArn,
      },
    });
  }
}
