import { describe, expect, it } from 'vitest';
import { benchSummary } from '../../../scripts/lib/bench-summary.ts';

const FIGURES = {
  large_file_rows: 1_000_000,
  e2e_rows_per_s: 64362,
  e2e_ratio: 0.834,
  e2e_ms_large_file: 15537,
  e2e_p50_ms: 12,
  e2e_p99_ms: 47,
  e2e_ms_10000_rows: 169,
  small_files_per_s: 139,
  lake_lag_p50_ms: 17,
  stream_lag_p50_ms: 13,
  export_rows_per_s: 23364,
  analytics_query_ms: 34,
  status_ms: 5,
  events_at_read_sizes: '29557 1014927',
  peak_rss_mb: 188,
  dashboard_first_frame_ms: 140,
  dashboard_frame_ms: 61,
};

describe('benchSummary', () => {
  it('answers what a user asks in the run’s own figures', () => {
    const text = benchSummary(FIGURES, { ratio: '>= 0.85 met' }, '2026-12-02 on a laptop');
    expect(text).toContain('Measured 2026-12-02 on a laptop by `npm run bench`');
    expect(text).toContain(
      '| How fast does a big file load? | 64,362 rows/s from PutObject to commit, 83 % of a bare COPY',
    );
    expect(text).toContain('1,000,000 rows in 15.5 s');
    expect(text).toContain('committed 12 ms after its upload (p50), 47 ms at p99');
    expect(text).toContain('139 files/s of 100 rows each');
    expect(text).toContain('17 ms (lake) and 13 ms (stream)');
    expect(text).toContain('with 1,014,927 events stored');
    expect(text).toContain('used at most 188 MB');
    expect(text).toContain('first frame reaches a page 140 ms after it opens');
    expect(text).toContain('takes 61 ms to read');
    expect(text).toContain('Every target below was met in this run.');
    expect(text.split('\n').length).toBeLessThan(20);
  });

  it('names each missed target and what to check before reading into it', () => {
    const text = benchSummary(
      FIGURES,
      { ratio: '>= 0.85 met', small_files_per_s: '>= 100 MISSED', status_ms: '< 100 ms MISSED' },
      'today',
    );
    expect(text).toContain(
      'Missed in this run: `small_files_per_s` (>= 100), `status_ms` (< 100 ms).',
    );
    expect(text).toContain('burst_steal_pct');
    expect(text).not.toContain('Every target');
  });
});
