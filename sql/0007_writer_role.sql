-- The privileges the ingest function needs and no more, held by a group role; the login role
-- ingest connects as (its own secret, docs/schema.md "Roles") is made a member of it by the
-- migrations function, which alone uses the master user. Ingest can add files, events,
-- rejected rows and analytics deltas; it cannot change or delete a stored event, truncate
-- anything, or create, alter or drop an object.

-- A role belongs to the server, not the database: another database on it may have made it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shopstream_writer') THEN
    CREATE ROLE shopstream_writer NOLOGIN;
  END IF;
EXCEPTION
  -- Two databases of one server migrated at the same moment.
  WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

GRANT SELECT, INSERT ON events, rejected_rows TO shopstream_writer;
GRANT SELECT, INSERT, UPDATE ON ingested_files TO shopstream_writer;
GRANT SELECT, UPDATE ON pipeline_settings TO shopstream_writer;
-- Derived data: the deltas are appended, folded by the rollup and settled, all by ingest.
GRANT SELECT, INSERT, UPDATE, DELETE ON
  analytics_pending, activity_deltas, page_view_deltas, user_minutes, session_deltas,
  session_dirty_users, inferred_sessions, latency_deltas, analytics_rollups
  TO shopstream_writer;
