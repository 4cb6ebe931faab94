import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface PipelineFunctionProps {
  /** Handler module, relative to the project root, e.g. `functions/ingest/handler.ts`. */
  readonly entry: string;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default {} */
  readonly environment?: Record<string, string>;
  /** Place the function in these subnets of this VPC. @default not in a VPC */
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Folders of the project copied beside the bundle, e.g. `sql`. @default none */
  readonly copyFolders?: string[];
  /** How long its logs are kept. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Size of each of V8's semi-spaces (the young generation is three of them), in MiB. Left
   * unset, Lambda's Node.js runtime gives the young generation a tenth of the memory; a
   * function streaming short-lived rows needs far less. The old generation then keeps the
   * runtime's nine tenths. @default the runtime's
   */
  readonly semiSpaceMb?: number;
}

/** NODE_OPTIONS for a function: source maps on, and the heap sized when asked. */
export function nodeOptions(memorySize: number, semiSpaceMb?: number): string {
  const options = ['--enable-source-maps'];
  if (semiSpaceMb !== undefined) {
    // Lambda's runtime sets neither heap flag once NODE_OPTIONS sets one, so both are given.
    options.push(
      `--max-semi-space-size=${semiSpaceMb}`,
      `--max-old-space-size=${memorySize - Math.floor(memorySize / 10)}`,
    );
  }
  return options.join(' ');
}

/**
 * Every Lambda of the pipeline: Node.js 24 on arm64, one self-contained ESM bundle built by
 * esbuild on this machine (never Docker), source maps on, its own log group with retention,
 * and its own role that only CDK grants add to.
 */
export class PipelineFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    // Named for its role in the stack (Shopstream-IngestFunction), and its log group after it
    // as Lambda's default is, so `aws logs tail /aws/lambda/<function name>` finds it.
    const functionName = [
      Stack.of(this).stackName,
      ...this.node.scopes.slice(2).map((c) => c.node.id),
    ].join('-');
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const copy = props.copyFolders ?? [];
    const memorySize = props.memorySize ?? 512;
    this.function = new NodejsFunction(this, 'Function', {
      functionName,
      entry: `${PROJECT_ROOT}${props.entry}`,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.TEXT,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      environment: {
        NODE_OPTIONS: nodeOptions(memorySize, props.semiSpaceMb),
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        sourceMap: true,
        minify: false,
        // Bundle the AWS SDK too: the code that runs is the code that was tested, on every target.
        externalModules: ['pg-native'],
        banner:
          "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        forceDockerBundling: false,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) =>
            copy.map((folder) => `cp -R "${inputDir}/${folder}" "${outputDir}/${folder}"`),
        },
      },
    });
  }
}
