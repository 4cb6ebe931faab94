import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Template {
  readonly Resources: Record<string, TemplateResource>;
  readonly Outputs?: Record<string, { Value: unknown; Description?: string }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Parameters?: Record<string, { Default?: unknown }>;
}

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly Condition?: string;
}

export interface StackAssembly {
  readonly stackName: string;
  readonly template: Template;
  /** Lambda code: the S3 key the template names -> the asset folder in cdk.out. */
  readonly codeByS3Key: ReadonlyMap<string, string>;
}

export class AssemblyError extends Error {
  override name = 'AssemblyError';
}

/** Reads the one stack of a cloud assembly (`cdk.out`) and where its assets are. */
export function readAssembly(dir: string): StackAssembly {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath))
    throw new AssemblyError(`no cloud assembly at ${dir}: run \`npx cdk synth\` first`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    artifacts: Record<
      string,
      { type: string; properties?: { templateFile?: string; file?: string }; displayName?: string }
    >;
  };
  const stacks = Object.entries(manifest.artifacts).filter(
    ([, a]) => a.type === 'aws:cloudformation:stack',
  );
  if (stacks.length !== 1)
    throw new AssemblyError(`expected one stack in ${dir}, found ${stacks.length}`);
  const [stackName, stack] = stacks[0] as [string, { properties?: { templateFile?: string } }];
  const template = JSON.parse(
    readFileSync(join(dir, stack.properties?.templateFile as string), 'utf8'),
  ) as Template;

  const codeByS3Key = new Map<string, string>();
  for (const artifact of Object.values(manifest.artifacts)) {
    if (artifact.type !== 'cdk:asset-manifest' || !artifact.properties?.file) continue;
    const assets = JSON.parse(readFileSync(join(dir, artifact.properties.file), 'utf8')) as {
      files?: Record<
        string,
        { source: { path: string }; destinations: Record<string, { objectKey: string }> }
      >;
    };
    for (const file of Object.values(assets.files ?? {})) {
      for (const destination of Object.values(file.destinations)) {
        codeByS3Key.set(destination.objectKey, join(dir, file.source.path));
      }
    }
  }
  return { stackName, template, codeByS3Key };
}
