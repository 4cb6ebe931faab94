import { describe, expect, it } from 'vitest';
import { messagesToDelete } from '../../../local/lambda/batch-response.ts';

const ids = ['a', 'b', 'c'];
const ok = (payload?: string) => ({ failed: false, payload });

describe('ReportBatchItemFailures as Lambda applies it', () => {
  it('treats a function error as a failure of the whole batch', () => {
    expect(messagesToDelete(ids, { failed: true }, true)).toEqual([]);
    expect(messagesToDelete(ids, { failed: true }, false)).toEqual([]);
  });

  it('ignores a partial response when the setting is off', () => {
    expect(
      messagesToDelete(ids, ok('{"batchItemFailures":[{"itemIdentifier":"b"}]}'), false),
    ).toEqual(ids);
  });

  it.each([undefined, '', 'null', '{}', '{"batchItemFailures":[]}', '{"batchItemFailures":null}'])(
    'counts %j as complete success',
    (payload) => {
      expect(messagesToDelete(ids, ok(payload), true)).toEqual(ids);
    },
  );

  it('keeps only the listed failures', () => {
    expect(
      messagesToDelete(ids, ok('{"batchItemFailures":[{"itemIdentifier":"b"}]}'), true),
    ).toEqual(['a', 'c']);
  });

  it.each([
    'not json',
    '"a string"',
    '[1]',
    '{"batchItemFailures":"b"}',
    '{"batchItemFailures":[{"itemIdentifier":""}]}',
    '{"batchItemFailures":[{"itemIdentifier":null}]}',
    '{"batchItemFailures":[{"id":"b"}]}',
    '{"batchItemFailures":[{"itemIdentifier":"zzz"}]}',
  ])('fails the whole batch for %s', (payload) => {
    expect(messagesToDelete(ids, ok(payload), true)).toEqual([]);
  });
});
