import { pipeline, type Readable } from 'node:stream';
import { type CsvError, type Options, parse } from 'csv-parse';
import { type OversizedRecord, RecordGuard } from './record-guard.ts';

/** Records over this size are quarantined whole rather than parsed. */
export const MAX_RECORD_BYTES = 1024 * 1024;

export type CsvItem =
  | {
      readonly kind: 'record';
      readonly line: number;
      readonly cells: string[];
      readonly raw: string;
    }
  | {
      readonly kind: 'bad';
      readonly line: number;
      readonly raw: string;
      readonly reasons: string[];
    };

const SKIP_REASONS: Record<string, string> = {
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'column_count',
  CSV_QUOTE_NOT_CLOSED: 'unclosed_quote',
  CSV_INVALID_CLOSING_QUOTE: 'invalid_quote',
  CSV_INVALID_OPENING_QUOTE: 'invalid_quote',
};

interface ParsedRecord {
  readonly kind: 'record';
  readonly cells: string[];
  readonly raw: string;
}
interface SkippedRecord {
  readonly kind: 'skip';
  readonly code: string;
  readonly raw: string;
}

/**
 * Streams the records of a CSV byte stream with the line each starts on and its raw text.
 * Records csv-parse cannot take (wrong field count, quote left open, over 1 MiB) come out
 * as `bad` items in place, so one broken row never stops the rest. Empty lines, and lines
 * whose every cell is blank, are not records.
 */
export async function* readCsvRecords(
  bytes: Readable,
  maxRecordBytes = MAX_RECORD_BYTES,
): AsyncGenerator<CsvItem> {
  const oversized: OversizedRecord[] = [];
  const guard = new RecordGuard(maxRecordBytes, (record) => oversized.push(record));
  const options: Options<ParsedRecord, { record: string[]; raw: string }> = {
    bom: true,
    record_delimiter: '\n',
    raw: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_record: (record) => ({ kind: 'record', cells: record.record, raw: record.raw }),
    on_skip: (error: CsvError | undefined, raw: string | undefined) => {
      parser.push({
        kind: 'skip',
        code: error?.code ?? 'CSV_ERROR',
        raw: raw ?? '',
      } satisfies SkippedRecord);
      return undefined;
    },
  };
  const parser = parse(options as unknown as Options);
  pipeline(bytes, guard, parser, () => {});

  // csv-parse's own line counter counts a quoted CRLF twice, so lines are counted here from
  // each record's raw text, which includes the blank lines skipped before it.
  let cursor = 1;
  for await (const item of parser as AsyncIterable<ParsedRecord | SkippedRecord>) {
    while (oversized.length > 0) yield fromOversized(oversized.shift() as OversizedRecord);
    let start = 0;
    while (item.raw.charCodeAt(start) === 10) start++;
    const endsWithNewline = item.raw.charCodeAt(item.raw.length - 1) === 10;
    const raw = item.raw.slice(start, endsWithNewline ? -1 : undefined);
    const line = cursor + start;
    cursor = line + countNewlines(raw) + (endsWithNewline ? 1 : 0);
    if (item.kind === 'record') {
      if (item.cells.every((cell) => cell.trim() === '')) continue;
      yield { kind: 'record', line, cells: item.cells, raw };
    } else if (raw.trim() !== '') {
      yield { kind: 'bad', line, raw, reasons: [SKIP_REASONS[item.code] ?? 'invalid_csv'] };
    }
  }
  while (oversized.length > 0) yield fromOversized(oversized.shift() as OversizedRecord);
}

function fromOversized(record: OversizedRecord): CsvItem {
  const reasons = record.unclosedQuote
    ? ['record_too_large', 'unclosed_quote']
    : ['record_too_large'];
  return {
    kind: 'bad',
    line: record.line,
    raw: `${record.prefix.toString('utf8')}…`,
    reasons,
  };
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
