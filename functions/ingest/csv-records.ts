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

/**
 * Parses a CSV byte stream, calling `onItem` synchronously for every record, with the line it
 * starts on and its raw text. Records csv-parse cannot take (wrong field count, quote left
 * open, over 1 MiB) come as `bad` items, so one broken row never stops the rest. Empty lines,
 * and lines whose every cell is blank, are not records.
 *
 * Nothing is emitted per record: `onItem` may call `emit` to pass something downstream (a
 * batch of rows, say), which the returned stream yields with backpressure. Per-record
 * promises cost more than the parsing itself at these rates.
 */
export function parseCsv<T>(
  bytes: Readable,
  onItem: (item: CsvItem, emit: (value: T) => void) => void,
  maxRecordBytes = MAX_RECORD_BYTES,
): AsyncIterable<T> {
  let cursor = 1;
  // csv-parse's own line counter counts a quoted CRLF twice, so lines are counted here from
  // each record's raw text, which includes the blank lines skipped before it.
  const locate = (rawText: string) => {
    let start = 0;
    while (rawText.charCodeAt(start) === 10) start++;
    const endsWithNewline = rawText.charCodeAt(rawText.length - 1) === 10;
    const raw =
      start === 0 && !endsWithNewline
        ? rawText
        : rawText.slice(start, endsWithNewline ? -1 : undefined);
    const line = cursor + start;
    cursor = line + countNewlines(raw) + (endsWithNewline ? 1 : 0);
    return { raw, line };
  };
  const emit = (value: T) => {
    parser.push(value);
  };
  const guard = new RecordGuard(maxRecordBytes, (record: OversizedRecord) =>
    onItem(fromOversized(record), emit),
  );
  const options: Options<never, { record: string[]; raw: string }> = {
    bom: true,
    record_delimiter: '\n',
    raw: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_record: (record) => {
      const { raw, line } = locate(record.raw);
      if (!record.record.every((cell) => cell.trim() === ''))
        onItem({ kind: 'record', line, cells: record.record, raw }, emit);
      return null;
    },
    on_skip: (error: CsvError | undefined, rawText: string | undefined) => {
      const { raw, line } = locate(rawText ?? '');
      if (raw.trim() !== '') {
        onItem(
          { kind: 'bad', line, raw, reasons: [SKIP_REASONS[error?.code ?? ''] ?? 'invalid_csv'] },
          emit,
        );
      }
      return undefined;
    },
  };
  // Few batches in flight (csv-parse hands stream options to its Transform): what waits here
  // is live memory, and it survives into V8's old space.
  const parser = parse({ ...options, readableHighWaterMark: 4 } as unknown as Options);
  pipeline(bytes, guard, parser, () => {});
  return parser as AsyncIterable<T>;
}

/** Every record as an item, one at a time: for tools and tests; ingestion uses parseCsv. */
export async function* readCsvRecords(
  bytes: Readable,
  maxRecordBytes = MAX_RECORD_BYTES,
): AsyncGenerator<CsvItem> {
  yield* parseCsv<CsvItem>(bytes, (item, emit) => emit(item), maxRecordBytes);
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
