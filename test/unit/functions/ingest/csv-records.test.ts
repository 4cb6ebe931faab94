import { pipeline, Readable } from 'node:stream';
import { type CsvError, parse } from 'csv-parse';
import { describe, expect, it } from 'vitest';
import { type CsvItem, readCsvRecords } from '../../../../functions/ingest/csv-records.ts';
import { RecordGuard } from '../../../../functions/ingest/record-guard.ts';

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

/**
 * The reference: every record through one csv-parse stream, as ingestion parsed before records
 * without quotes were split directly. Line numbers come from each record's raw text, which
 * includes the empty lines skipped before it.
 */
async function referenceRead(input: string): Promise<CsvItem[]> {
  const items: CsvItem[] = [];
  let cursor = 1;
  const locate = (rawText: string) => {
    let start = 0;
    while (rawText[start] === '\n') start++;
    const endsWithNewline = rawText.endsWith('\n');
    const raw = rawText.slice(start, endsWithNewline ? -1 : undefined);
    const line = cursor + start;
    cursor = line + raw.split('\n').length - 1 + (endsWithNewline ? 1 : 0);
    return { raw, line };
  };
  const reasons: Record<string, string> = {
    CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'column_count',
    CSV_QUOTE_NOT_CLOSED: 'unclosed_quote',
    CSV_INVALID_CLOSING_QUOTE: 'invalid_quote',
    CSV_INVALID_OPENING_QUOTE: 'invalid_quote',
  };
  const parser = parse({
    bom: true,
    record_delimiter: '\n',
    raw: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_record: ({ record, raw: rawText }: { record: string[]; raw: string }) => {
      const { raw, line } = locate(rawText);
      if (!record.every((cell) => cell.trim() === ''))
        items.push({ kind: 'record', line, cells: record, raw });
      return null;
    },
    on_skip: (error: CsvError | undefined, rawText: string | undefined) => {
      const { raw, line } = locate(rawText ?? '');
      if (raw.trim() !== '')
        items.push({
          kind: 'bad',
          line,
          raw,
          reasons: [reasons[error?.code ?? ''] ?? 'invalid_csv'],
        });
      return undefined;
    },
  } as never);
  const guard = new RecordGuard(Number.MAX_SAFE_INTEGER, () => {});
  await new Promise<void>((resolve, reject) =>
    pipeline(Readable.from([Buffer.from(input)]), guard, parser, (error) =>
      error ? reject(error) : resolve(),
    ),
  );
  return items.sort((a, b) => a.line - b.line);
}

describe('readCsvRecords against csv-parse over the whole stream', () => {
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };

  it('gives the same items, split directly or through csv-parse, on arbitrary input', async () => {
    // Cells of a few shapes, so that field counts often agree and most records are taken.
    const cells = ['a', 'bé', ' ', '', '"q"', '"x,y"', '"l\nm"', 'p"q', '"r""s"', '"t"u', '"'];
    const ends = ['\n', '\n', '\n', '\r\n', '\r', '\n\n'];
    for (let n = 0; n < 1500; n++) {
      const records = Array.from({ length: 1 + random(8) }, () =>
        Array.from({ length: 1 + random(3) }, () => cells[random(cells.length)]).join(','),
      );
      const input =
        (random(10) === 0 ? '\uFEFF' : '') +
        records.map((record) => record + ends[random(ends.length)]).join('') +
        (random(3) === 0 ? 'z' : '');
      const expected = await referenceRead(input);
      expect(summary(await read(input)), `case ${n}: ${JSON.stringify(input)}`).toEqual(
        summary(expected),
      );
      expect(summary(await read(input, { chunk: 1 + random(9) })), `case ${n} chunked`).toEqual(
        summary(expected),
      );
    }
  });
});
