import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { architectureSvg, DIAGRAM_PATH, defaultTemplate } from '../../scripts/diagram.ts';
import { architectureDot } from '../../scripts/lib/diagram.ts';

describe('docs/architecture.svg', () => {
  it('draws the data flow the template declares', () => {
    const dot = architectureDot(defaultTemplate());
    const edge = (from: string, to: string, label: string) =>
      new RegExp(`"${from}[0-9A-F]{8}" -> "${to}[0-9A-F]{8}" \\[label="${label}"`);
    for (const [from, to, label] of [
      ['LandingBucket', 'IngestQueue', 'object created incoming/'],
      ['IngestQueue', 'IngestFunction', 'batches of 10'],
      ['IngestQueue', 'IngestDeadLetters', 'after 5 receives'],
      ['IngestFunction', 'DatabaseInstance', 'SQL'],
      ['IngestFunction', 'ExportsQueue', 'export queue'],
      ['ExportsQueue', 'ExportFunction', 'batches of 5'],
      ['ExportFunction', 'LakeBucket', 'lake bucket'],
      ['ExportFunction', 'EnrichedEventsTopic', 'enriched events topic'],
      ['EnrichedEventsTopic', 'EnrichedEventsExampleSubscriber', 'sqs, raw'],
      ['GeneratorSchedule', 'GeneratorFunction', 'rate\\(5 minutes\\)'],
      ['LakeEventsTable', 'LakeBucket', 'reads Parquet'],
    ] as const)
      expect(dot).toMatch(edge(from, to, label));
    // Plumbing is left out: the notifications handler, IAM, networking.
    expect(dot).not.toMatch(/BucketNotificationsHandler|AWS::IAM|SecurityGroup/);
  });

  it('is the picture npm run diagram draws from the stack today', async () => {
    const committed = readFileSync(DIAGRAM_PATH, 'utf8');
    // If this fails, the stack changed: run `npm run diagram` and commit the picture.
    expect(await architectureSvg()).toBe(committed);
  });
});
