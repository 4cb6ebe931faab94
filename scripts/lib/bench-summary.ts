/** A full bench run's figures, by measure (docs/performance.md's table). */
export type BenchFigures = Readonly<Record<string, string | number>>;

const count = (v: unknown) => Math.round(Number(v)).toLocaleString('en-US');
const pct = (v: unknown) => `${Math.round(Number(v) * 100)} %`;
const ms = (v: unknown) => {
  const n = Number(v);
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
};

/**
 * What docs/performance.md opens with: one screen for someone deciding whether the pipeline is
 * fast enough for them, from the run's figures, and whether every target held. `verdicts` are
 * the targets' checks ("... met" or "... MISSED") by measure.
 */
export function benchSummary(
  r: BenchFigures,
  verdicts: Readonly<Record<string, string>>,
  when: string,
): string {
  const missed = Object.entries(verdicts).filter(([, v]) => v.endsWith('MISSED'));
  const lines = [
    `Measured ${when} by \`npm run bench\` on the embedded cloud, one process with its own PostgreSQL; on AWS, Lambda and RDS set the figures, not this table.`,
    '',
    '| you want to know | answer |',
    '| --- | --- |',
    `| How fast does a big file load? | ${count(r.e2e_rows_per_s)} rows/s from PutObject to commit, ${pct(r.e2e_ratio)} of a bare COPY into the same table (every row parsed, validated and deduplicated); ${Number(r.large_file_rows).toLocaleString('en-US')} rows in ${ms(r.e2e_ms_large_file)} |`,
    `| How soon is a small file queryable? | a 100-row file is committed ${ms(r.e2e_p50_ms)} after its upload (p50), ${ms(r.e2e_p99_ms)} at p99; 10,000 rows in ${ms(r.e2e_ms_10000_rows)} |`,
    `| How many small files can it take? | ${count(r.small_files_per_s)} files/s of 100 rows each, sustained |`,
    `| When are events in the lake and on the stream? | ${ms(r.lake_lag_p50_ms)} (lake) and ${ms(r.stream_lag_p50_ms)} (stream) after the commit, p50; export runs at ${count(r.export_rows_per_s)} rows/s |`,
    `| How fast are the analytics and the status? | \`npm run analytics\` answers in ${ms(r.analytics_query_ms)} and \`npm run status\` in ${ms(r.status_ms)} with ${count(String(r.events_at_read_sizes).split(' ').at(-1))} events stored, no slower than with a few thousand |`,
    `| How soon does the dashboard fill? | its first frame reaches a page ${ms(r.dashboard_first_frame_ms)} after it opens; each frame, pushed every 2 s, takes ${ms(r.dashboard_frame_ms)} to read |`,
    `| How much memory does it need? | an ingest function environment used at most ${count(r.peak_rss_mb)} MB through the ${Number(r.large_file_rows).toLocaleString('en-US')}-row file (Max Memory Used of its REPORT lines; the target is under 256 MB) |`,
    '',
    missed.length === 0
      ? 'Every target below was met in this run.'
      : `Missed in this run: ${missed.map(([k, v]) => `\`${k}\` (${v.replace(/ MISSED$/, '')})`).join(', ')}. A shared machine can be 10 to 30 % slower from one minute to the next: see the steal figure (\`burst_steal_pct\`) before reading much into it.`,
  ];
  return `${lines.join('\n')}\n`;
}
