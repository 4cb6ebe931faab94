-- Quarantine: every row that broke a rule, with its raw text and every reason, so it can be
-- inspected and replayed.
CREATE TABLE rejected_rows (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  file_id     bigint NOT NULL REFERENCES ingested_files (id),
  line_number integer NOT NULL,
  raw_record  text NOT NULL,
  reasons     text[] NOT NULL CHECK (cardinality(reasons) > 0),
  rejected_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX rejected_rows_file_id_idx ON rejected_rows (file_id, line_number);
