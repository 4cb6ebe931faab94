-- The lake and the enriched-events stream are written after a file commits, by the export
-- function (docs/lake-and-stream.md). The ledger says which files are still to export: one with
-- loaded rows and no exported_at. The file's own commit makes it ready, so nothing is added to
-- the ingest transaction; the export marks it when its objects and messages are all written.
ALTER TABLE ingested_files
  ADD COLUMN exported_at     timestamptz,
  -- Parquet objects written and stream batches published for the file.
  ADD COLUMN export_objects  integer,
  ADD COLUMN export_batches  integer,
  -- When the sweep last queued the file, so a backlog is queued once, not every minute.
  ADD COLUMN export_queued_at timestamptz;

CREATE INDEX ingested_files_export_pending_idx ON ingested_files (completed_at)
  WHERE exported_at IS NULL AND rows_loaded > 0;

-- Files committed and not yet in the lake and the stream, and how long the oldest has waited.
CREATE VIEW export_lag AS
SELECT count(*)                                           AS files_pending,
       coalesce(sum(rows_loaded), 0)::bigint              AS rows_pending,
       min(completed_at)                                  AS oldest_committed_at,
       coalesce(extract(epoch FROM now() - min(completed_at)), 0)::double precision
                                                          AS lag_seconds
  FROM ingested_files
 WHERE exported_at IS NULL AND rows_loaded > 0 AND completed_at IS NOT NULL;

