import { describe, expect, it } from 'vitest';
import { FIELDS, resolveHeader } from '../../../../functions/ingest/columns.ts';
import { validateRecord } from '../../../../functions/ingest/validate.ts';

const header = resolveHeader([...FIELDS]);
const ctx = {
  columns: header.index,
  now: Date.parse('2026-11-22T12:00:00Z'),
  deriveId: (line: number) => `derived:${line}`,
};
const row = (cells: Partial<Record<string, string>>) => [
  cells.event_id ?? 'e1',
  cells.event_time ?? '2026-11-22T10:00:00Z',
  cells.event_type ?? 'view',
  cells.user_id ?? 'u1',
  cells.session_id ?? 's1',
  cells.product_id ?? 'p1',
  cells.product_name ?? 'Mug',
  cells.category ?? 'Kitchen',
  cells.price ?? '',
  cells.quantity ?? '',
  cells.device_type ?? '',
];

describe('validateRecord', () => {
  it('returns a clean row for a good record', () => {
    expect(validateRecord(row({ price: ' $4.5 ', device_type: 'PC' }), 7, ctx)).toEqual({
      ok: true,
      row: {
        eventId: 'e1',
        eventTime: '2026-11-22T10:00:00.000Z',
        eventType: 'view',
        userId: 'u1',
        sessionId: 's1',
        productId: 'p1',
        productName: 'Mug',
        category: 'Kitchen',
        price: '4.50',
        quantity: 1,
        deviceType: 'desktop',
        lineNumber: 7,
      },
    });
  });

  it('derives an id when event_id is empty', () => {
    const result = validateRecord(row({ event_id: ' NULL ' }), 9, ctx);
    expect(result.ok && result.row.eventId).toBe('derived:9');
  });

  it('collects every reason, not just the first', () => {
    const result = validateRecord(
      row({
        event_time: 'soon',
        event_type: 'add_to_cart',
        user_id: '',
        product_id: 'N/A',
        quantity: '0',
      }),
      2,
      ctx,
    );
    expect(result).toEqual({
      ok: false,
      reasons: [
        'invalid:event_time',
        'missing:user_id',
        'missing:product_id',
        'missing:price',
        'invalid:quantity',
      ],
    });
  });

  it('requires a price for add_to_cart and purchase only', () => {
    expect(validateRecord(row({ event_type: 'purchase' }), 2, ctx)).toEqual({
      ok: false,
      reasons: ['missing:price'],
    });
    expect(validateRecord(row({ event_type: 'remove' }), 2, ctx).ok).toBe(true);
    expect(validateRecord(row({ event_type: 'view', price: 'free' }), 2, ctx)).toEqual({
      ok: false,
      reasons: ['invalid:price'],
    });
  });

  it('enforces the length limits at their boundaries', () => {
    const at = {
      event_id: 'e'.repeat(64),
      user_id: 'u'.repeat(64),
      product_id: 'p'.repeat(64),
      session_id: 's'.repeat(128),
      product_name: 'n'.repeat(256),
      category: 'c'.repeat(128),
    };
    expect(validateRecord(row(at), 2, ctx).ok).toBe(true);
    const over = Object.fromEntries(Object.entries(at).map(([k, v]) => [k, `${v}x`]));
    expect(validateRecord(row(over), 2, ctx)).toEqual({
      ok: false,
      reasons: [
        'invalid:event_id',
        'invalid:user_id',
        'invalid:session_id',
        'invalid:product_id',
        'invalid:product_name',
        'invalid:category',
      ],
    });
  });

  it('flags NUL bytes and undecodable bytes', () => {
    expect(validateRecord(row({ product_name: 'a\u0000b' }), 2, ctx)).toEqual({
      ok: false,
      reasons: ['nul_byte'],
    });
    // A byte that was not UTF-8, as the decoder marks it (functions/ingest/utf8.ts).
    expect(validateRecord(row({ product_name: 'Caf\uFFFFe9' }), 2, ctx)).toEqual({
      ok: false,
      reasons: ['invalid_encoding'],
    });
    expect(validateRecord(row({ product_name: 'Caf\uFFFD' }), 2, ctx).ok).toBe(true);
  });

  it('rejects an unknown event type and a missing one differently', () => {
    expect(validateRecord(row({ event_type: 'wishlist' }), 2, ctx)).toEqual({
      ok: false,
      reasons: ['invalid:event_type'],
    });
    expect(validateRecord(row({ event_type: ' ' }), 2, ctx)).toEqual({
      ok: false,
      reasons: ['missing:event_type'],
    });
  });
});
