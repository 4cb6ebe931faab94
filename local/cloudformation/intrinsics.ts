export class TemplateError extends Error {
  override name = 'TemplateError';
}

export interface ResolveContext {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  readonly stackId: string;
  ref(logicalId: string): unknown;
  getAtt(logicalId: string, attribute: string): unknown;
  condition(name: string): boolean;
  mapping(map: string, top: string, second: string): unknown;
  /** `{{resolve:secretsmanager:...}}` dynamic references, resolved after the rest. */
  secretValue(secretId: string, jsonKey: string | undefined): string;
}

export const NO_VALUE = Symbol('AWS::NoValue');

const PSEUDO: Record<string, (c: ResolveContext) => unknown> = {
  'AWS::Region': (c) => c.region,
  'AWS::AccountId': (c) => c.accountId,
  'AWS::Partition': () => 'aws',
  'AWS::URLSuffix': () => 'amazonaws.com',
  'AWS::StackName': (c) => c.stackName,
  'AWS::StackId': (c) => c.stackId,
  'AWS::NoValue': () => NO_VALUE,
  'AWS::NotificationARNs': () => [],
};

/** Resolves the intrinsic functions CloudFormation evaluates, depth first. */
export function resolve(value: unknown, c: ResolveContext): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, c)).filter((v) => v !== NO_VALUE);
  if (value === null || typeof value !== 'object') {
    return typeof value === 'string' ? resolveDynamicReferences(value, c) : value;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [fn, arg] = entries[0] as [string, unknown];
    switch (fn) {
      case 'Ref': {
        const name = arg as string;
        const pseudo = PSEUDO[name];
        return pseudo ? pseudo(c) : c.ref(name);
      }
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? arg : String(arg).split(/\.(.+)/);
        return c.getAtt(String(id), String(resolve(attr, c)));
      }
      case 'Fn::Join': {
        const [sep, list] = arg as [string, unknown[]];
        return resolveDynamicReferences((resolve(list, c) as unknown[]).map(String).join(sep), c);
      }
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(arg)
          ? (arg as [string, Record<string, unknown>])
          : [arg as string, {}];
        const resolvedVars = resolve(vars, c) as Record<string, unknown>;
        const out = text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
          if (name in resolvedVars) return String(resolvedVars[name]);
          const [id, attr] = name.split(/\.(.+)/);
          if (attr) return String(c.getAtt(id as string, attr));
          const pseudo = PSEUDO[name];
          return String(pseudo ? pseudo(c) : c.ref(name));
        });
        return resolveDynamicReferences(out.replace(/\$\{!/g, '${'), c);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = resolve(list, c) as unknown[];
        return items[Number(resolve(index, c))];
      }
      case 'Fn::Split': {
        const [sep, text] = arg as [string, unknown];
        return String(resolve(text, c)).split(sep);
      }
      case 'Fn::GetAZs':
        return [`${c.region}a`, `${c.region}b`, `${c.region}c`];
      case 'Fn::Base64':
        return Buffer.from(String(resolve(arg, c))).toString('base64');
      case 'Fn::If': {
        const [cond, yes, no] = arg as [string, unknown, unknown];
        return resolve(c.condition(cond) ? yes : no, c);
      }
      case 'Fn::Equals': {
        const [a, b] = arg as [unknown, unknown];
        return JSON.stringify(resolve(a, c)) === JSON.stringify(resolve(b, c));
      }
      case 'Fn::And':
        return (arg as unknown[]).every((x) => resolve(x, c) === true);
      case 'Fn::Or':
        return (arg as unknown[]).some((x) => resolve(x, c) === true);
      case 'Fn::Not':
        return resolve((arg as unknown[])[0], c) !== true;
      case 'Condition':
        return c.condition(arg as string);
      case 'Fn::FindInMap': {
        const [map, top, second] = resolve(arg, c) as [string, string, string];
        return c.mapping(map, top, second);
      }
      case 'Fn::ImportValue':
        throw new TemplateError('Fn::ImportValue needs another stack; the embedded cloud runs one');
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    const r = resolve(v, c);
    if (r !== NO_VALUE) out[k] = r;
  }
  return out;
}

const DYNAMIC = /\{\{resolve:secretsmanager:(.+?)\}\}/g;

/** `{{resolve:secretsmanager:<id>[:SecretString[:<json-key>[:<stage>[:<version>]]]]}}`; ids are ARNs with colons. */
function resolveDynamicReferences(text: string, c: ResolveContext): string {
  if (!text.includes('{{resolve:')) return text;
  return text.replace(DYNAMIC, (_, inner: string) => {
    const at = inner.indexOf(':SecretString');
    const secretId = at === -1 ? inner : inner.slice(0, at);
    const jsonKey = at === -1 ? undefined : inner.slice(at + ':SecretString'.length).split(':')[1];
    return c.secretValue(secretId, jsonKey || undefined);
  });
}

/** Logical ids a value refers to (Ref, GetAtt, Sub), for ordering the deployment. */
export function references(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) references(v, into);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Ref' && typeof v === 'string' && !v.startsWith('AWS::')) into.add(v);
      else if (k === 'Fn::GetAtt')
        into.add(Array.isArray(v) ? String(v[0]) : (String(v).split('.')[0] as string));
      else if (k === 'Fn::Sub') {
        const text = Array.isArray(v) ? String(v[0]) : String(v);
        for (const m of text.matchAll(/\$\{([^}!.]+)(?:\.[^}]*)?\}/g)) {
          if (!(m[1] as string).startsWith('AWS::')) into.add(m[1] as string);
        }
        if (Array.isArray(v)) references(v[1], into);
      } else references(v, into);
    }
  }
  return into;
}
