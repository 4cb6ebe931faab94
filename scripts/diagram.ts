/**
 * npm run diagram [-- --check]
 * Draws docs/architecture.svg from the synthesized template of the stack as `npm run deploy`
 * would deploy it (default settings, bundling skipped: the picture needs no code).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../infra/app.ts';
import { parseCommand } from './lib/cli.ts';
import { architectureDot, type CfnTemplate, renderSvg } from './lib/diagram.ts';
import { PROJECT_ROOT, runCommand } from './lib/target.ts';

export const DIAGRAM_PATH = join(PROJECT_ROOT, 'docs/architecture.svg');

/** The template of the stack with the default settings, as `cdk synth` writes it. */
export function defaultTemplate(): CfnTemplate {
  const app = new App({
    // Path metadata names each resource by its construct, as `cdk synth` does.
    context: { 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true },
  });
  const { stack } = buildApp(app);
  return app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate;
}

export async function architectureSvg(): Promise<string> {
  return renderSvg(architectureDot(defaultTemplate()));
}

async function main() {
  const { values } = parseCommand({
    usage: 'npm run diagram --',
    summary:
      'Draws docs/architecture.svg from the synthesized CloudFormation template (default settings):\n' +
      'S3 notifications, event source mappings, SNS subscriptions, schedules, dead-letter\n' +
      'redrives, database access and what each function is told to write to, laid out by\n' +
      'Graphviz (@viz-js/viz, in wasm).',
    options: {
      check: {
        type: 'boolean',
        description: 'only say whether the committed picture is up to date (exit 1 if not)',
      },
      dot: { type: 'boolean', description: 'print the Graphviz DOT instead' },
    },
  });
  if (values.dot) {
    process.stdout.write(architectureDot(defaultTemplate()));
    return;
  }
  const svg = await architectureSvg();
  let current = '';
  try {
    current = readFileSync(DIAGRAM_PATH, 'utf8');
  } catch {
    // No picture yet.
  }
  if (values.check) {
    if (current !== svg)
      throw new Error('docs/architecture.svg is out of date with the stack: run npm run diagram');
    console.log('docs/architecture.svg is up to date');
    return;
  }
  writeFileSync(DIAGRAM_PATH, svg);
  console.log(`${current === svg ? 'unchanged' : 'wrote'} docs/architecture.svg`);
}

if (import.meta.main) runCommand(main);
