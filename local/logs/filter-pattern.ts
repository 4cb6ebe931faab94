/**
 * CloudWatch Logs filter patterns, implemented once for the embedded Logs API
 * (FilterLogEvents) and for `npm run logs`, which checks a pattern before sending it.
 *
 * Text patterns: space-separated terms that must all appear, "quoted phrases", `-term`
 * exclusions, `?term` alternatives (any one suffices), `%regex%` terms; matching is
 * case-sensitive. JSON patterns: `{ $.a.b[0] = "x*" && ($.n >= 5 || $.c IS NULL) }` with =, !=,
 * <, >, <=, >=, `*` wildcards in strings, `%regex%`, IS NULL, IS TRUE, IS FALSE, EXISTS, NOT
 * EXISTS, && and || with parentheses. An empty pattern matches every event.
 */
export type LogMatcher = (message: string) => boolean;

export class FilterPatternError extends Error {
  override name = 'FilterPatternError';
}

export function compileFilterPattern(pattern: string | undefined): LogMatcher {
  const text = (pattern ?? '').trim();
  if (text === '' || text === '""') return () => true;
  if (text.startsWith('{')) return compileJson(text);
  if (text.startsWith('['))
    throw new FilterPatternError(
      'space-delimited patterns ([...]) are not supported; use terms or a JSON pattern',
    );
  return compileText(text);
}

// ---- text patterns ----

interface Term {
  readonly kind: 'all' | 'none' | 'any';
  readonly test: (message: string) => boolean;
}

function compileText(text: string): LogMatcher {
  const terms: Term[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ') i++;
    if (i >= text.length) break;
    let kind: Term['kind'] = 'all';
    if (text[i] === '-' || text[i] === '?') {
      kind = text[i] === '-' ? 'none' : 'any';
      i++;
    }
    let test: (message: string) => boolean;
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end === -1) throw new FilterPatternError(`unclosed quote in filter pattern: ${text}`);
      const phrase = text.slice(i + 1, end);
      test = (m) => m.includes(phrase);
      i = end + 1;
    } else if (text[i] === '%') {
      const end = text.indexOf('%', i + 1);
      if (end === -1)
        throw new FilterPatternError(`unclosed % regular expression in filter pattern: ${text}`);
      const regex = toRegex(text.slice(i + 1, end));
      test = (m) => regex.test(m);
      i = end + 1;
    } else {
      const end = text.indexOf(' ', i);
      const term = text.slice(i, end === -1 ? text.length : end);
      test = (m) => m.includes(term);
      i = end === -1 ? text.length : end;
    }
    terms.push({ kind, test });
  }
  const any = terms.filter((t) => t.kind === 'any');
  const all = terms.filter((t) => t.kind === 'all');
  const none = terms.filter((t) => t.kind === 'none');
  return (message) =>
    (any.length === 0 || any.some((t) => t.test(message))) &&
    all.every((t) => t.test(message)) &&
    !none.some((t) => t.test(message));
}

function toRegex(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    throw new FilterPatternError(
      `invalid regular expression %${source}%: ${(error as Error).message}`,
    );
  }
}

// ---- JSON patterns ----

type Token =
  | { type: 'punct'; value: '{' | '}' | '(' | ')' | '&&' | '||' }
  | { type: 'op'; value: '=' | '!=' | '<' | '>' | '<=' | '>=' }
  | { type: 'selector'; path: (string | number)[]; raw: string }
  | { type: 'string'; value: string; quoted: boolean }
  | { type: 'regex'; value: RegExp }
  | { type: 'word'; value: string };

type Node =
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'compare'; path: (string | number)[]; op: string; value: Token }
  | { kind: 'is'; path: (string | number)[]; what: 'NULL' | 'TRUE' | 'FALSE' }
  | { kind: 'exists'; path: (string | number)[]; negate: boolean };

function tokenizeJson(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new FilterPatternError(`${what} at position ${i} of filter pattern: ${text}`);
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n') {
      i++;
    } else if ('{}()'.includes(c)) {
      tokens.push({ type: 'punct', value: c as '{' | '}' | '(' | ')' });
      i++;
    } else if (text.startsWith('&&', i) || text.startsWith('||', i)) {
      tokens.push({ type: 'punct', value: text.slice(i, i + 2) as '&&' | '||' });
      i += 2;
    } else if (text.startsWith('!=', i) || text.startsWith('<=', i) || text.startsWith('>=', i)) {
      tokens.push({ type: 'op', value: text.slice(i, i + 2) as '!=' | '<=' | '>=' });
      i += 2;
    } else if ('=<>'.includes(c)) {
      tokens.push({ type: 'op', value: c as '=' | '<' | '>' });
      i++;
    } else if (c === '$') {
      const m = /^\$((?:\.[A-Za-z0-9_\-@:]+|\[\d+\])*)/.exec(text.slice(i));
      if (!m || m[0] === '$') fail('a selector needs a field after $');
      const raw = (m as RegExpExecArray)[0];
      const path: (string | number)[] = [];
      for (const part of raw.slice(1).matchAll(/\.([A-Za-z0-9_\-@:]+)|\[(\d+)\]/g)) {
        path.push(part[1] !== undefined ? part[1] : Number(part[2]));
      }
      tokens.push({ type: 'selector', path, raw });
      i += raw.length;
    } else if (c === '"') {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        value += text[j];
        j++;
      }
      if (j >= text.length) fail('unclosed quote');
      tokens.push({ type: 'string', value, quoted: true });
      i = j + 1;
    } else if (c === '%') {
      const end = text.indexOf('%', i + 1);
      if (end === -1) fail('unclosed % regular expression');
      tokens.push({ type: 'regex', value: toRegex(text.slice(i + 1, end)) });
      i = end + 1;
    } else {
      const m = /^[^\s{}()=!<>&|"]+/.exec(text.slice(i));
      if (!m) fail(`unexpected "${c}"`);
      const word = (m as RegExpExecArray)[0];
      const upper = word.toUpperCase();
      if (['IS', 'NOT', 'EXISTS', 'NULL', 'TRUE', 'FALSE'].includes(upper))
        tokens.push({ type: 'word', value: upper });
      else tokens.push({ type: 'string', value: word, quoted: false });
      i += word.length;
    }
  }
  return tokens;
}

function parseJson(text: string): Node {
  const tokens = tokenizeJson(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (what: string): never => {
    throw new FilterPatternError(`${what} in filter pattern: ${text}`);
  };
  const expect = (value: string) => {
    const t = tokens[pos++];
    if (t?.type !== 'punct' || t.value !== value) fail(`expected "${value}"`);
  };
  const or = (): Node => {
    let left = and();
    while (peek()?.type === 'punct' && (peek() as { value: string }).value === '||') {
      pos++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const and = (): Node => {
    let left = unary();
    while (peek()?.type === 'punct' && (peek() as { value: string }).value === '&&') {
      pos++;
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  const unary = (): Node => {
    const t = tokens[pos++];
    if (t?.type === 'punct' && t.value === '(') {
      const inner = or();
      expect(')');
      return inner;
    }
    if (t?.type !== 'selector') return fail('expected a $ selector');
    const next = tokens[pos++];
    if (next?.type === 'op') {
      const value = tokens[pos++];
      if (
        !value ||
        (value.type !== 'string' &&
          value.type !== 'regex' &&
          !(value.type === 'word' && ['NULL', 'TRUE', 'FALSE'].includes(value.value)))
      ) {
        return fail(`expected a value after ${t.raw} ${next.value}`);
      }
      if (
        ['<', '>', '<=', '>='].includes(next.value) &&
        (value.type !== 'string' || !isNumber(value.value))
      ) {
        return fail(`${next.value} compares numbers only`);
      }
      if (value.type === 'regex' && next.value !== '=' && next.value !== '!=')
        fail('regular expressions take = or != only');
      return { kind: 'compare', path: t.path, op: next.value, value };
    }
    if (next?.type === 'word' && next.value === 'IS') {
      const what = tokens[pos++];
      if (what?.type !== 'word' || !['NULL', 'TRUE', 'FALSE'].includes(what.value))
        return fail('expected NULL, TRUE or FALSE after IS');
      return { kind: 'is', path: t.path, what: what.value as 'NULL' | 'TRUE' | 'FALSE' };
    }
    if (next?.type === 'word' && next.value === 'EXISTS')
      return { kind: 'exists', path: t.path, negate: false };
    if (next?.type === 'word' && next.value === 'NOT') {
      const what = tokens[pos++];
      if (what?.type !== 'word' || what.value !== 'EXISTS')
        return fail('expected EXISTS after NOT');
      return { kind: 'exists', path: t.path, negate: true };
    }
    return fail(`expected a comparison after ${t.raw}`);
  };
  expect('{');
  const node = or();
  expect('}');
  if (pos !== tokens.length) fail('unexpected text after }');
  return node;
}

const MISSING = Symbol('missing');

function select(value: unknown, path: (string | number)[]): unknown {
  let current: unknown = value;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return MISSING;
    const record = current as Record<string | number, unknown>;
    if (!(part in record)) return MISSING;
    current = record[part];
  }
  return current;
}

function isNumber(text: string): boolean {
  return /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text);
}

function glob(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

function evaluate(node: Node, doc: unknown): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, doc) && evaluate(node.right, doc);
    case 'or':
      return evaluate(node.left, doc) || evaluate(node.right, doc);
    case 'exists':
      return (select(doc, node.path) !== MISSING) !== node.negate;
    case 'is': {
      const v = select(doc, node.path);
      return node.what === 'NULL' ? v === null : v === (node.what === 'TRUE');
    }
    case 'compare': {
      const v = select(doc, node.path);
      if (v === MISSING || (v !== null && typeof v === 'object')) return false;
      const { op, value } = node;
      if (value.type === 'regex') return value.value.test(String(v)) === (op === '=');
      if (value.type === 'word') {
        const expected = value.value === 'NULL' ? null : value.value === 'TRUE';
        return (v === expected) === (op === '=');
      }
      const literal = (value as { value: string }).value;
      if (typeof v === 'number' && isNumber(literal)) {
        const n = Number(literal);
        switch (op) {
          case '=':
            return v === n;
          case '!=':
            return v !== n;
          case '<':
            return v < n;
          case '>':
            return v > n;
          case '<=':
            return v <= n;
          default:
            return v >= n;
        }
      }
      if (op !== '=' && op !== '!=') return false;
      const matches = literal.includes('*') ? glob(literal).test(String(v)) : String(v) === literal;
      return matches === (op === '=');
    }
  }
}

function compileJson(text: string): LogMatcher {
  const tree = parseJson(text);
  return (message) => {
    const start = message.indexOf('{');
    if (start === -1) return false;
    let doc: unknown;
    try {
      doc = JSON.parse(message.slice(start));
    } catch {
      return false;
    }
    return evaluate(tree, doc);
  };
}
