-- The file ledger: one row per object version, written in the same transaction as the
-- file's events and rejected rows, so a row here means the whole file is accounted for.
CREATE TABLE ingested_files (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  bucket            text NOT NULL,
  key               text NOT NULL,
  version_id        text,
  etag              text,
  -- S3 gives a version id only on versioned buckets; the ETag identifies the content otherwise.
  object_version    text GENERATED ALWAYS AS (coalesce(version_id, etag, '')) STORED,
  sequencer         text,
  size_bytes        bigint,
  object_created_at timestamptz,
  message_id        text,
  status            text NOT NULL CHECK (status IN ('loaded', 'rejected', 'missing')),
  rows_total        integer NOT NULL DEFAULT 0,
  rows_loaded       integer NOT NULL DEFAULT 0,
  rows_rejected     integer NOT NULL DEFAULT 0,
  rows_duplicate    integer NOT NULL DEFAULT 0,
  error             text,
  received_at       timestamptz NOT NULL DEFAULT now(),
  completed_at      timestamptz,
  CONSTRAINT ingested_files_object_version_key UNIQUE (bucket, key, object_version),
  CONSTRAINT ingested_files_rows_add_up
    CHECK (rows_total = rows_loaded + rows_rejected + rows_duplicate)
);

CREATE INDEX ingested_files_received_at_idx ON ingested_files (received_at);
CREATE INDEX ingested_files_key_idx ON ingested_files (key);
