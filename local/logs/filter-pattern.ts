/**
 * CloudWatch Logs filter patterns for unstructured text: space-separated terms that must all
 * appear, "quoted phrases", `-term` exclusions and `?term` alternatives (any one suffices).
 * An empty pattern matches everything.
 */
export type LogMatcher = (message: string) => boolean;

export class FilterPatternError extends Error {
  override name = 'FilterPatternError';
}

export function compileFilterPattern(pattern: string | undefined): LogMatcher {
  const text = (pattern ?? '').trim();
  if (text === '' || text === '""') return () => true;
  const tokens = tokenize(text);
  const alternatives = tokens.filter((t) => t.kind === 'any').map((t) => t.value);
  const required = tokens.filter((t) => t.kind === 'all').map((t) => t.value);
  const excluded = tokens.filter((t) => t.kind === 'none').map((t) => t.value);
  if (alternatives.length > 0) {
    return (message) => alternatives.some((term) => message.includes(term));
  }
  return (message) =>
    required.every((t) => message.includes(t)) && !excluded.some((t) => message.includes(t));
}

interface Token {
  readonly kind: 'all' | 'none' | 'any';
  readonly value: string;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ') i++;
    if (i >= text.length) break;
    let kind: Token['kind'] = 'all';
    if (text[i] === '-' || text[i] === '?') {
      kind = text[i] === '-' ? 'none' : 'any';
      i++;
    }
    let value = '';
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end === -1) throw new FilterPatternError(`unclosed quote in filter pattern: ${text}`);
      value = text.slice(i + 1, end);
      i = end + 1;
    } else {
      const end = text.indexOf(' ', i);
      value = text.slice(i, end === -1 ? text.length : end);
      i = end === -1 ? text.length : end;
    }
    if (value !== '') tokens.push({ kind, value });
  }
  return tokens;
}
