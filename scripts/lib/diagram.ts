/**
 * The architecture picture, drawn from a synthesized CloudFormation template: the resources
 * data passes through, and the edges the template itself declares (S3 notifications, event
 * source mappings, SNS subscriptions, schedules, dead-letter redrives, database access,
 * the buckets, queues and topics a function is told about). Graphviz DOT, rendered to SVG
 * by @viz-js/viz (Graphviz in wasm).
 */

type Json = Record<string, unknown>;
interface Resource {
  readonly Type: string;
  readonly Properties?: Json;
  readonly Metadata?: Json;
}
export interface CfnTemplate {
  readonly Resources: Record<string, Resource>;
}

interface Node {
  readonly id: string;
  readonly label: string;
  readonly kind: string;
}
interface Edge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly dashed?: boolean;
}

const KINDS: Record<string, { kind: string; shape: string; color: string }> = {
  'AWS::S3::Bucket': { kind: 'S3 bucket', shape: 'cylinder', color: '#e8f3e8' },
  'AWS::SQS::Queue': { kind: 'SQS queue', shape: 'box3d', color: '#fdf1dc' },
  'AWS::Lambda::Function': { kind: 'Lambda', shape: 'box', color: '#fde7d9' },
  'AWS::SNS::Topic': { kind: 'SNS topic', shape: 'hexagon', color: '#f6e1ef' },
  'AWS::RDS::DBInstance': { kind: 'RDS PostgreSQL', shape: 'cylinder', color: '#e1ecf7' },
  'AWS::Events::Rule': { kind: 'schedule', shape: 'note', color: '#f0f0f0' },
  'AWS::Glue::Table': { kind: 'Glue table', shape: 'tab', color: '#eef0fa' },
  'AWS::Athena::WorkGroup': { kind: 'Athena workgroup', shape: 'component', color: '#eef0fa' },
};

/** The construct's name: `Shopstream/Lake/Bucket/Resource` is `Lake Bucket`. */
function nameOf(id: string, r: Resource): string {
  const path = String(r.Metadata?.['aws:cdk:path'] ?? id)
    .split('/')
    .slice(1)
    .filter((p) => p !== 'Resource' && p !== 'Default' && p !== 'Function');
  return (path.join(' ') || id).replace(/([a-z])([A-Z])/g, '$1 $2');
}

/** The logical id a Ref or Fn::GetAtt points at, if it is one. */
function target(value: unknown): string | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Json;
  if (typeof v.Ref === 'string') return v.Ref;
  const att = v['Fn::GetAtt'];
  if (Array.isArray(att) && typeof att[0] === 'string') return att[0];
  return null;
}

/** Every logical id referenced anywhere inside a value. */
function referencesIn(value: unknown, out = new Set<string>()): Set<string> {
  const t = target(value);
  if (t) out.add(t);
  if (value && typeof value === 'object')
    for (const v of Object.values(value as Json)) referencesIn(v, out);
  return out;
}

export function architectureDot(template: CfnTemplate): string {
  const resources = template.Resources;
  const nodes = new Map<string, Node>();
  for (const [id, r] of Object.entries(resources)) {
    const kind = KINDS[r.Type];
    if (!kind) continue;
    // The bucket-notifications and log-retention helpers are plumbing, not data flow.
    if (r.Type === 'AWS::Lambda::Function' && /BucketNotificationsHandler|LogRetention/.test(id))
      continue;
    nodes.set(id, { id, label: nameOf(id, r), kind: r.Type });
  }
  const edges: Edge[] = [];
  const add = (from: string | null, to: string | null, label: string, dashed = false) => {
    if (from && to && nodes.has(from) && nodes.has(to) && from !== to)
      edges.push({ from, to, label, dashed });
  };
  // Security groups of functions, for database access.
  const groupOwner = new Map<string, string>();
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const vpc = r.Properties?.VpcConfig as Json | undefined;
    for (const g of (vpc?.SecurityGroupIds as unknown[]) ?? []) {
      const sg = target(g);
      if (sg) groupOwner.set(sg, id);
    }
  }
  const databaseGroups = new Map<string, string>();
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::RDS::DBInstance') continue;
    for (const g of (r.Properties?.VPCSecurityGroups as unknown[]) ?? []) {
      const sg = target(g);
      if (sg) databaseGroups.set(sg, id);
    }
  }

  for (const [id, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'Custom::S3BucketNotifications': {
        const config = p.NotificationConfiguration as Json | undefined;
        for (const q of (config?.QueueConfigurations as Json[]) ?? []) {
          const rules = ((q.Filter as Json)?.Key as Json)?.FilterRules as Json[] | undefined;
          const prefix = rules?.find((f) => String(f.Name).toLowerCase() === 'prefix')?.Value;
          add(
            target(p.BucketName),
            target(q.QueueArn),
            `object created${prefix ? ` ${prefix}` : ''}`,
          );
        }
        break;
      }
      case 'AWS::Lambda::EventSourceMapping':
        add(target(p.EventSourceArn), target(p.FunctionName), `batches of ${p.BatchSize ?? 10}`);
        break;
      case 'AWS::SNS::Subscription':
        add(
          target(p.TopicArn),
          target(p.Endpoint),
          `${p.Protocol}${p.RawMessageDelivery ? ', raw' : ''}`,
        );
        break;
      case 'AWS::Events::Rule':
        for (const t of (p.Targets as Json[]) ?? []) {
          const input = typeof t.Input === 'string' ? ` ${t.Input}` : '';
          add(id, target(t.Arn), `${String(p.ScheduleExpression ?? 'event')}${input}`);
        }
        break;
      case 'AWS::SQS::Queue': {
        const redrive = p.RedrivePolicy as Json | undefined;
        if (redrive)
          add(
            id,
            target(redrive.deadLetterTargetArn),
            `after ${redrive.maxReceiveCount} receives`,
            true,
          );
        break;
      }
      case 'AWS::EC2::SecurityGroupIngress': {
        const fn = groupOwner.get(target(p.SourceSecurityGroupId) ?? '');
        const db = databaseGroups.get(target(p.GroupId) ?? '');
        add(fn ?? null, db ?? null, 'SQL');
        break;
      }
      case 'AWS::Lambda::Function': {
        const env = ((p.Environment as Json)?.Variables as Json) ?? {};
        for (const [name, value] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
          for (const ref of referencesIn(value)) {
            const kind = nodes.get(ref)?.kind;
            if (
              kind === 'AWS::S3::Bucket' ||
              kind === 'AWS::SNS::Topic' ||
              kind === 'AWS::SQS::Queue'
            )
              // DEAD_LETTER_QUEUE_URL: "dead letter queue".
              add(
                id,
                ref,
                name
                  .toLowerCase()
                  .replace(/_(url|arn|name)$/, '')
                  .replaceAll('_', ' '),
                true,
              );
          }
        }
        break;
      }
      case 'AWS::Glue::Table': {
        const location = ((p.TableInput as Json)?.StorageDescriptor as Json)?.Location ?? {};
        for (const ref of referencesIn(location)) add(id, ref, 'reads Parquet', true);
        break;
      }
      case 'AWS::Athena::WorkGroup':
        for (const ref of referencesIn(p.WorkGroupConfiguration)) add(id, ref, 'results', true);
        break;
    }
  }

  const quote = (s: string) => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  const lines = [
    'digraph shopstream {',
    '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.35, ranksep=0.6, bgcolor="white"];',
    '  node [fontname="Helvetica", fontsize=10, style=filled, penwidth=0.8];',
    '  edge [fontname="Helvetica", fontsize=8, color="#555555", arrowsize=0.6];',
  ];
  const used = new Set(edges.flatMap((e) => [e.from, e.to]));
  for (const node of [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    if (!used.has(node.id)) continue;
    const style = KINDS[node.kind] as { kind: string; shape: string; color: string };
    lines.push(
      `  ${quote(node.id)} [label=${quote(`${node.label}\n${style.kind}`)}, shape=${style.shape}, fillcolor=${quote(style.color)}];`,
    );
  }
  const seen = new Set<string>();
  for (const e of edges.sort((a, b) =>
    `${a.from} ${a.to} ${a.label}`.localeCompare(`${b.from} ${b.to} ${b.label}`),
  )) {
    const key = `${e.from} ${e.to} ${e.label}`;
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(
      `  ${quote(e.from)} -> ${quote(e.to)} [label=${quote(e.label)}${e.dashed ? ', style=dashed' : ''}];`,
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** The DOT rendered to SVG with Graphviz's dot layout. */
export async function renderSvg(dot: string): Promise<string> {
  const { instance } = await import('@viz-js/viz');
  const viz = await instance();
  const svg = viz.renderString(dot, { format: 'svg', engine: 'dot' });
  // Named for screen readers (Graphviz puts the graph's name in a <title> inside a group).
  return svg.replace(
    '<svg ',
    '<svg role="img" aria-label="shopstream architecture: the stack\'s resources and the data flow between them" ',
  );
}
