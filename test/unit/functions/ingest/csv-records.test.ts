import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type CsvItem, readCsvRecords } from '../../../../functions/ingest/csv-records.ts';

async function read(
  input: string | Buffer,
  options: { chunk?: number; max?: number } = {},
): Promise<CsvItem[]> {
  const bytes = Buffer.from(input);
  const size = options.chunk ?? bytes.length + 1;
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  const items: CsvItem[] = [];
  for await (const item of readCsvRecords(Readable.from(parts), options.max)) items.push(item);
  return items.sort((a, b) => a.line - b.line);
}

const summary = (items: CsvItem[]) =>
  items.map((i) => (i.kind === 'record' ? [i.line, i.cells] : [i.line, i.reasons, i.raw]));

describe('readCsvRecords', () => {
  for (const chunk of [undefined, 1, 3, 7]) {
    describe(`fed ${chunk ? `${chunk}-byte chunks` : 'in one chunk'}`, () => {
      it('numbers records by the line they start on, across blank lines and quoted breaks', async () => {
        expect(summary(await read('a,b\n1,2\n\n"x\ny",3\n4,5', { chunk }))).toEqual([
          [1, ['a', 'b']],
          [2, ['1', '2']],
          [4, ['x\ny', '3']],
          [6, ['4', '5']],
        ]);
      });

      it('handles CRLF and lone CR line ends alike, keeping quoted CRLF as written', async () => {
        expect(summary(await read('a,b\r\n1,2\r\n\r\n"x\r\ny",3\r\n', { chunk }))).toEqual([
          [1, ['a', 'b']],
          [2, ['1', '2']],
          [4, ['x\r\ny', '3']],
        ]);
        expect(summary(await read('a,b\r1,2\r3,4', { chunk }))).toEqual([
          [1, ['a', 'b']],
          [2, ['1', '2']],
          [3, ['3', '4']],
        ]);
      });

      it('reports wrong field counts in place and goes on', async () => {
        expect(summary(await read('a,b\n1\n2,3,4\n5,6\n', { chunk }))).toEqual([
          [1, ['a', 'b']],
          [2, ['column_count'], '1'],
          [3, ['column_count'], '2,3,4'],
          [4, ['5', '6']],
        ]);
      });

      it('reports a quote left open as one record to the end of the file', async () => {
        expect(summary(await read('a,b\n1,2\n3,"4\n5,6\n', { chunk }))).toEqual([
          [1, ['a', 'b']],
          [2, ['1', '2']],
          [3, ['unclosed_quote'], '3,"4\n5,6'],
        ]);
      });

      it('cuts out records over the size cap and keeps reading', async () => {
        const big = `1,"${'x'.repeat(30)}\n${'y'.repeat(30)}"`;
        const items = await read(`a,b\n${big}\n2,3\n`, { chunk, max: 40 });
        expect(items.map((i) => [i.line, i.kind === 'bad' ? i.reasons : i.cells])).toEqual([
          [1, ['a', 'b']],
          [2, ['record_too_large']],
          [4, ['2', '3']],
        ]);
        const bad = items[1];
        expect(bad?.kind === 'bad' && bad.raw.startsWith('1,"xxx')).toBe(true);
      });

      it('marks an oversized record that never closes its quote', async () => {
        const items = await read(`a,b\n1,2\n3,"${'z'.repeat(100)}`, { chunk, max: 40 });
        expect(items.map((i) => [i.line, i.kind === 'bad' ? i.reasons : i.cells])).toEqual([
          [1, ['a', 'b']],
          [2, ['1', '2']],
          [3, ['record_too_large', 'unclosed_quote']],
        ]);
      });

      it('keeps escaped quotes and bare quotes inside unquoted fields', async () => {
        expect(summary(await read('a,b\n"say ""hi""",5" screen\n', { chunk }))).toEqual([
          [1, ['a', 'b']],
          [2, ['say "hi"', '5" screen']],
        ]);
      });

      it('skips lines whose every cell is blank', async () => {
        expect(summary(await read('a,b\n , \n   \n1,2\n', { chunk }))).toEqual([
          [1, ['a', 'b']],
          [4, ['1', '2']],
        ]);
      });

      it('strips a BOM', async () => {
        expect(summary(await read('\uFEFFa,b\n1,2\n', { chunk }))).toEqual([
          [1, ['a', 'b']],
          [2, ['1', '2']],
        ]);
      });
    });
  }
});

describe('readCsvRecords on arbitrary input', () => {
  // Deterministic: a linear congruential generator, so a failure names its case.
  let seed = 20261122;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const alphabet = ['a', 'b', ',', ',', '"', '\n', '\r', ' ', 'é'];

  // An oversized record keeps only its first bytes, as many as were held when it was found
  // too big, and that depends on where the chunks end: compare its start only.
  const shape = (items: CsvItem[]) =>
    summary(items).map((item) =>
      Array.isArray(item[1]) && item[1].includes('record_too_large')
        ? [item[0], item[1], String(item[2]).slice(0, 4)]
        : item,
    );

  it('reads the same records however the bytes are chunked, with and without a size cap', async () => {
    for (let n = 0; n < 300; n++) {
      const input = Array.from({ length: random(120) }, () => alphabet[random(9)]).join('');
      const max = n % 2 === 0 ? undefined : 8 + random(30);
      const whole = shape(await read(input, { max }));
      for (const chunk of [1, 2, 5, 13]) {
        expect(
          shape(await read(input, { chunk, max })),
          `case ${n}: ${JSON.stringify(input)}`,
        ).toEqual(whole);
      }
    }
  });
});
