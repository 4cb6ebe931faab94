import type { StackAssembly, TemplateResource } from './assembly.ts';
import { type ResolveContext, references, resolve, TemplateError } from './intrinsics.ts';
import type { DeployTarget, RuntimeSpec } from './provider.ts';
import { applyResource, isCustomResource } from './resources.ts';
import type { CloudState, ResourceState } from './state.ts';

export interface DeployResult {
  readonly outputs: Record<string, string>;
  readonly created: number;
  readonly kept: number;
  /** What the deployed resources run (event source mappings, schedules), to be started. */
  readonly runtime: readonly RuntimeSpec[];
}

/** Deployment order: every resource after what it references or depends on. */
export function deploymentOrder(resources: Readonly<Record<string, TemplateResource>>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting')
      throw new TemplateError(`circular dependency: ${[...path, id].join(' -> ')}`);
    state.set(id, 'visiting');
    const resource = resources[id] as TemplateResource;
    const deps = references(resource.Properties);
    for (const d of [resource.DependsOn ?? []].flat()) deps.add(d);
    for (const dep of deps) if (resources[dep]) visit(dep, [...path, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of Object.keys(resources).sort()) visit(id, []);
  return order;
}

/**
 * Deploys a synthesized stack as CloudFormation would, in dependency order, keeping what
 * the last deployment created (names, secrets, custom resource results) so a restart resumes.
 * Custom resources removed from the template get their Delete event.
 */
export async function deployStack(
  assembly: StackAssembly,
  state: CloudState,
  s: DeployTarget,
): Promise<DeployResult> {
  const { template } = assembly;
  const previous = state.resources;
  const deployed: Record<string, ResourceState> = {};
  const conditions = new Map<string, boolean>();

  const ctx: ResolveContext = {
    region: s.region,
    accountId: s.accountId,
    stackName: assembly.stackName,
    stackId: s.stackId,
    ref: (id) => {
      const r = deployed[id];
      if (!r) {
        const param = template.Parameters?.[id];
        if (param) return param.Default;
        throw new TemplateError(`Ref to ${id}, which is not deployed`);
      }
      return r.physicalId;
    },
    getAtt: (id, attribute) => {
      const r = deployed[id];
      if (!r) throw new TemplateError(`Fn::GetAtt on ${id}, which is not deployed`);
      if (attribute in r.attributes) return r.attributes[attribute];
      if (attribute === 'Arn') return `arn:aws:local:${s.region}:${s.accountId}:${r.physicalId}`;
      // Attributes of skipped resources (security group ids and the like): stable placeholders.
      return `${r.physicalId}-${attribute.toLowerCase().replaceAll('.', '-')}`;
    },
    condition: (name) => {
      if (!conditions.has(name)) {
        const expression = template.Conditions?.[name];
        if (expression === undefined) throw new TemplateError(`unknown condition ${name}`);
        conditions.set(name, resolve(expression, ctx) === true);
      }
      return conditions.get(name) as boolean;
    },
    mapping: (map, top, second) => template.Mappings?.[map]?.[top]?.[second],
    secretValue: (secretId, jsonKey) => {
      const secret = s.secrets.get(secretId);
      if (!jsonKey) return secret.secretString;
      const value = (JSON.parse(secret.secretString) as Record<string, unknown>)[jsonKey];
      if (value === undefined) throw new TemplateError(`secret ${secretId} has no key ${jsonKey}`);
      return String(value);
    },
  };

  const context = { ...s, deployed };
  const runtime: RuntimeSpec[] = [];
  let created = 0;
  let kept = 0;
  for (const id of deploymentOrder(template.Resources)) {
    const resource = template.Resources[id] as TemplateResource;
    if (resource.Condition && !ctx.condition(resource.Condition)) continue;
    const props = resolve(resource.Properties ?? {}, ctx) as Record<string, unknown>;
    const before = previous[id]?.type === resource.Type ? previous[id] : undefined;
    const applied = await applyResource(id, resource.Type, props, before, context);
    if (applied.runtime) runtime.push(applied.runtime);
    deployed[id] = {
      type: resource.Type,
      physicalId: applied.physicalId,
      attributes: applied.attributes ?? {},
      properties: props,
    };
    if (before) kept++;
    else created++;
    state.resources = { ...previous, ...deployed };
  }

  for (const [id, old] of Object.entries(previous)) {
    if (deployed[id] || !isCustomResource(old.type)) continue;
    const { ServiceToken, ...properties } = old.properties as Record<string, unknown>;
    s.progress(`delete ${id} (${old.type})`);
    await s.customResources
      .run(String(ServiceToken), {
        requestType: 'Delete',
        stackId: s.stackId,
        logicalId: id,
        resourceType: old.type,
        physicalId: old.physicalId,
        properties,
      })
      .catch(() => {});
  }
  state.resources = deployed;

  const outputs: Record<string, string> = {};
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    outputs[name] = String(resolve(output.Value, ctx));
  }
  return { outputs, created, kept, runtime };
}
