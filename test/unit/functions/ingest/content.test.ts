import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { notCsvReason, openContent } from '../../../../functions/ingest/content.ts';

describe('openContent', () => {
  it('unwraps gzip by its magic bytes', async () => {
    const content = await openContent(Readable.from([gzipSync('a,b\n1,2\n')]));
    expect(content.kind).toBe('text');
    if (content.kind === 'text') {
      expect(content.gzip).toBe(true);
      expect(await text(content.stream)).toBe('a,b\n1,2\n');
    }
  });

  it('unwraps gzip that arrives a byte at a time', async () => {
    const csv = `a,b\n${'1,2\n'.repeat(3000)}`;
    const bytes = gzipSync(csv);
    const content = await openContent(Readable.from([...bytes].map((b) => Buffer.from([b]))));
    expect(content.kind === 'text' && content.gzip && (await text(content.stream))).toBe(csv);
  });

  it('sniffs what is inside the gzip', async () => {
    const content = await openContent(Readable.from([gzipSync(Buffer.from('%PDF-1.7\n...'))]));
    expect(content).toEqual({ kind: 'not_csv', reason: 'not_csv: pdf content' });
  });

  it('passes plain text through untouched, however it is chunked', async () => {
    const content = await openContent(
      Readable.from([Buffer.from('a'), Buffer.from(',b\n'), Buffer.from('1,2')]),
    );
    expect(content.kind === 'text' && (await text(content.stream))).toBe('a,b\n1,2');
  });

  it('reads an empty object as empty text', async () => {
    const content = await openContent(Readable.from([]));
    expect(content.kind === 'text' && (await text(content.stream))).toBe('');
  });
});

describe('notCsvReason', () => {
  it('names known binary formats', () => {
    expect(notCsvReason(Buffer.from('PK\u0003\u0004rest'))).toBe('not_csv: zip content');
    expect(notCsvReason(Buffer.from('%PDF-1.7'))).toBe('not_csv: pdf content');
    expect(notCsvReason(Buffer.from('PAR1....'))).toBe('not_csv: parquet content');
  });

  it('calls NUL in the header or a mass of control bytes binary, a stray NUL in a row not', () => {
    expect(notCsvReason(Buffer.from('a,b\u0000\n1,2\n'))).toBe('not_csv: binary content');
    expect(notCsvReason(Buffer.from([1, 2, 3, 4, 5, 0x61, 0x62]))).toBe('not_csv: binary content');
    expect(notCsvReason(Buffer.from(`a,b\n1,2\u0000\n${'3,4\n'.repeat(20)}`))).toBeNull();
  });
});

describe('openContent limits', () => {
  const limits = { maxBytes: 10 * 1024 * 1024, maxRows: 1_000, maxCompressionRatio: 100 };

  it('refuses a decompression bomb before handing on a byte of it', async () => {
    // 64 MiB of one repeated row: gzip makes it about 1,000 times smaller.
    const bomb = gzipSync(Buffer.from('a,b\n'.concat('1,2\n'.repeat(16 * 1024 * 1024))));
    const chunks = Array.from({ length: Math.ceil(bomb.length / 65536) }, (_, i) =>
      bomb.subarray(i * 65536, (i + 1) * 65536),
    );
    await expect(
      openContent(Readable.from(chunks), { ...limits, maxBytes: 2 ** 40 }),
    ).rejects.toThrow(/too_large: gzip expands more than 100 to 1/);
  });

  it('lets ordinary gzip through, far below the ratio', async () => {
    const rows = Array.from({ length: 60_000 }, (_, i) => `${i},${(i * 7919) % 10007}`).join('\n');
    const content = await openContent(Readable.from([gzipSync(`a,b\n${rows}\n`)]), limits);
    expect(content.kind === 'text' && (await text(content.stream)).length).toBe(
      `a,b\n${rows}\n`.length,
    );
  });

  it('fails the stream past the byte limit, compressed or not', async () => {
    const body = Buffer.from(`a,b\n${'12345,67890\n'.repeat(100_000)}`);
    // Past the limit within the first bytes, openContent itself fails; later, the stream.
    const read = async (bytes: Buffer) => {
      const content = await openContent(Readable.from([bytes]), { ...limits, maxBytes: 1_000_000 });
      return content.kind === 'text' ? text(content.stream) : content.reason;
    };
    for (const bytes of [body, gzipSync(body)]) {
      await expect(read(bytes)).rejects.toThrow('too_large: more than 1000000 bytes of CSV');
    }
  });
});
