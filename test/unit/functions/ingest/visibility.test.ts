import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  backoffSeconds,
  DEFAULT_LEASE,
  holdMessages,
  leaseWithin,
  type MessageVisibility,
  type VisibilityChange,
} from '../../../../functions/ingest/visibility.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function recorder(fail = false) {
  const calls: VisibilityChange[][] = [];
  const visibility: MessageVisibility = {
    async change(changes) {
      calls.push([...changes]);
      if (fail) throw new Error('throttled');
    },
  };
  return { calls, visibility };
}

describe('message visibility', () => {
  afterEach(() => vi.useRealTimers());

  it('doubles the backoff with each receive, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffSeconds(n, DEFAULT_LEASE))).toEqual([
      5, 10, 20, 40, 80, 160, 300, 300,
    ]);
    expect(backoffSeconds(Number.NaN, DEFAULT_LEASE)).toBe(5);
  });

  it('never leases or delays past the queue visibility timeout', () => {
    expect(leaseWithin(1_800)).toEqual(DEFAULT_LEASE);
    expect(leaseWithin(6)).toEqual({ leaseSeconds: 6, backoffSeconds: 5, maxBackoffSeconds: 6 });
    expect(backoffSeconds(4, leaseWithin(6))).toBe(6);
  });

  it('leases the held messages at once and renews every third of the lease until released', async () => {
    vi.useFakeTimers();
    const { calls, visibility } = recorder();
    const held = holdMessages(visibility, ['r1', 'r2'], DEFAULT_LEASE, silent);
    expect(calls).toEqual([
      [
        { receiptHandle: 'r1', seconds: 30 },
        { receiptHandle: 'r2', seconds: 30 },
      ],
    ]);
    await vi.advanceTimersByTimeAsync(25_000);
    expect(calls).toHaveLength(3);
    await held.release();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(3);
  });

  it('logs a renewal that fails and carries on', async () => {
    const { calls, visibility } = recorder(true);
    const warnings: string[] = [];
    const held = holdMessages(visibility, ['r1'], DEFAULT_LEASE, {
      ...silent,
      warn: (message) => warnings.push(message),
    });
    await held.release();
    expect(calls).toHaveLength(1);
    expect(warnings).toEqual(['message lease not renewed']);
  });
});
