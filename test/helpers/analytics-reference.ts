import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type pg from 'pg';

const DOC = resolve(import.meta.dirname, '../../docs/analytics.md');

/** The reference queries of docs/analytics.md, by relation: the doc's SQL is what is tested. */
export function referenceQueries(): Record<string, string> {
  const text = readFileSync(DOC, 'utf8');
  const out: Record<string, string> = {};
  for (const match of text.matchAll(/```sql reference:(\w+)\n([\s\S]*?)```/g))
    out[match[1] as string] = (match[2] as string).trim();
  if (out.funnel_per_hour && out.sessions)
    out.funnel_per_hour = out.funnel_per_hour.replace('<sessions>', out.sessions);
  return out;
}

/** Rows as comparable values: numbers as numbers, times as ISO strings, sorted. */
async function rowsOf(db: pg.Pool, sql: string): Promise<string[]> {
  const { rows } = await db.query(sql);
  return rows
    .map((row: Record<string, unknown>) =>
      JSON.stringify(
        Object.entries(row).map(([key, value]) => {
          if (value instanceof Date) return [key, value.toISOString()];
          if (typeof value === 'object' && value !== null) return [key, JSON.stringify(value)];
          if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))
            return [key, Number(Number(value).toFixed(6))];
          if (typeof value === 'number') return [key, Number(value.toFixed(6))];
          return [key, value];
        }),
      ),
    )
    .sort();
}

/** The relation's rows and its reference query's rows, for a test to compare. */
export async function relationAndReference(
  db: pg.Pool,
  relation: string,
): Promise<{ actual: string[]; expected: string[] }> {
  const reference = referenceQueries()[relation];
  if (!reference) throw new Error(`docs/analytics.md has no reference query for ${relation}`);
  const [actual, expected] = await Promise.all([
    rowsOf(db, `SELECT * FROM ${relation}`),
    rowsOf(db, reference),
  ]);
  return { actual, expected };
}
