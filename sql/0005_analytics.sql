-- Stream analytics, maintained incrementally and exactly once (docs/analytics.md).
--
-- Each file's transaction records the watermark it saw and that its analytics are pending;
-- right after the commit, the invocation that loaded it appends the file's deltas, computed
-- from the rows it inserted (never from rejected rows or duplicates), in a transaction that
-- takes the pending row, so they are applied exactly once. Deltas are only inserted, so
-- concurrent loads never wait on a shared aggregate row; the views sum them. Inferred
-- sessions (rows without a session id) are settled after that, from the users touched.

CREATE INDEX events_file_id_idx ON events (file_id);
-- The rows sessions are inferred for, in the order the settle reads them: without it each
-- touched user's every event was fetched to find the few without a session id.
CREATE INDEX events_sessionless_idx ON events (user_id, event_time, event_id)
  WHERE session_id IS NULL;

ALTER TABLE ingested_files
  -- Latest event time of the file not ahead of its ingestion: what moves the watermark.
  ADD COLUMN max_event_time timestamptz,
  -- The watermark the file saw when it committed: its events in windows that had closed by
  -- then are late.
  ADD COLUMN watermark_at_commit timestamptz;
CREATE INDEX ingested_files_max_event_time_idx ON ingested_files (max_event_time);

CREATE TABLE analytics_pending (
  file_id      bigint PRIMARY KEY REFERENCES ingested_files (id),
  committed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pipeline_settings (
  id               integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  allowed_lateness interval NOT NULL DEFAULT interval '2 minutes',
  session_gap      interval NOT NULL DEFAULT interval '30 minutes'
);
INSERT INTO pipeline_settings DEFAULT VALUES;

-- Each delta row holds what one batch of files (those one settle applied) added to a key.
CREATE TABLE activity_deltas (
  window_start     timestamptz NOT NULL,
  event_type       text NOT NULL,
  category         text,
  events           bigint NOT NULL,
  units            bigint NOT NULL,
  revenue          numeric(16, 2) NOT NULL,
  late_events      bigint NOT NULL,
  revisions        bigint NOT NULL,
  first_event_time timestamptz NOT NULL,
  last_event_time  timestamptz NOT NULL
);
CREATE INDEX activity_deltas_window_idx ON activity_deltas (window_start);

CREATE TABLE page_view_deltas (
  window_start timestamptz NOT NULL,
  product_id   text NOT NULL,
  views        bigint NOT NULL
);
CREATE INDEX page_view_deltas_window_idx ON page_view_deltas (window_start);

-- One row per user, minute and event type a file touched; repeats across files are allowed
-- (no unique key for concurrent applies to wait on) and counted once by the views.
CREATE TABLE user_minutes (
  window_start timestamptz NOT NULL,
  event_type   text NOT NULL,
  user_id      text NOT NULL
);
CREATE INDEX user_minutes_window_idx ON user_minutes (window_start);

CREATE TABLE session_deltas (
  session_id       text NOT NULL,
  first_event_time timestamptz NOT NULL,
  first_event_id   text NOT NULL,
  -- The least user id and device type of the session's rows: one each in any sane session.
  first_user_id    text NOT NULL,
  first_device     text,
  last_event_time  timestamptz NOT NULL,
  events           bigint NOT NULL,
  views            bigint NOT NULL,
  carts            bigint NOT NULL,
  purchases        bigint NOT NULL,
  revenue          numeric(16, 2) NOT NULL
);
CREATE INDEX session_deltas_session_idx ON session_deltas (session_id);
CREATE INDEX session_deltas_start_idx ON session_deltas (first_event_time);

-- Users whose inferred sessions a batch touched; `batch` is the applying transaction's id, so
-- that its settle can tell whether the users it listed were taken.
CREATE TABLE session_dirty_users (
  user_id text NOT NULL,
  batch   bigint NOT NULL
);
CREATE INDEX session_dirty_users_batch_idx ON session_dirty_users (batch);

CREATE TABLE inferred_sessions (
  session_id    text PRIMARY KEY,
  user_id       text NOT NULL,
  session_start timestamptz NOT NULL,
  session_end   timestamptz NOT NULL,
  events        bigint NOT NULL,
  views         bigint NOT NULL,
  carts         bigint NOT NULL,
  purchases     bigint NOT NULL,
  revenue       numeric(16, 2) NOT NULL,
  device_type   text
);
CREATE INDEX inferred_sessions_user_idx ON inferred_sessions (user_id);
CREATE INDEX inferred_sessions_start_idx ON inferred_sessions (session_start);

-- Latency from event to commit, per minute of ingestion, in buckets 1 % wide.
CREATE TABLE latency_deltas (
  minute  timestamptz NOT NULL,
  bucket  integer NOT NULL,
  events  bigint NOT NULL
);
CREATE INDEX latency_deltas_minute_idx ON latency_deltas (minute);

CREATE FUNCTION latency_bucket(seconds double precision) RETURNS integer
  LANGUAGE sql IMMUTABLE AS
  $$ SELECT (sign(seconds) * round(ln(1 + abs(seconds)) * 100))::integer $$;
CREATE FUNCTION latency_of_bucket(bucket integer) RETURNS double precision
  LANGUAGE sql IMMUTABLE AS
  $$ SELECT sign(bucket) * (exp(abs(bucket) / 100.0) - 1) $$;

-- The deltas of one file, in its transaction, from the rows it inserted: one read of them.
-- The deltas of every committed file still pending, applied together, once: taking the
-- pending rows is the gate, and files another session is applying are left to it. Its hash
-- tables and the files' rows stay in memory up to about a million rows (the default 4 MB
-- spilled a 200,000-row file to disk and took three times as long).
CREATE FUNCTION analytics_apply_pending() RETURNS bigint
  LANGUAGE plpgsql SET work_mem = '128MB' AS $$
DECLARE
  files bigint[];
  batch bigint := txid_current();
BEGIN
  WITH claimed AS (
    DELETE FROM analytics_pending
     WHERE file_id IN (SELECT file_id FROM analytics_pending FOR UPDATE SKIP LOCKED)
    RETURNING file_id
  )
  SELECT array_agg(file_id) INTO files FROM claimed;
  IF files IS NULL THEN
    RETURN 0;
  END IF;
  WITH f AS MATERIALIZED (
    SELECT e.file_id, e.event_id, e.event_time, e.event_type, e.user_id, e.session_id,
           e.product_id, e.category, e.price, e.quantity, e.device_type, e.ingested_at,
           date_trunc('minute', e.event_time) AS w,
           -- Late: its window had closed by the watermark its file saw at commit.
           coalesce(date_trunc('minute', e.event_time) + interval '1 minute'
                    <= i.watermark_at_commit, false) AS late
      FROM events e JOIN ingested_files i ON i.id = e.file_id
     WHERE e.file_id = ANY (files)
  ),
  -- Per file and second of event time: the latency histogram (a file's rows share their
  -- ingested_at, so a second's latency is one figure, within a second) and each file's
  -- latest event time.
  secs AS MATERIALIZED (
    SELECT file_id, date_trunc('second', event_time) AS s, count(*) AS n,
           min(ingested_at) AS ingested_at,
           max(event_time) FILTER (WHERE event_time <= ingested_at) AS latest
      FROM f GROUP BY 1, 2
  ),
  activity AS (
    INSERT INTO activity_deltas
    SELECT w, event_type, category, count(*), sum(quantity),
           coalesce(sum(price * quantity) FILTER (WHERE event_type = 'purchase'), 0),
           count(*) FILTER (WHERE late), count(DISTINCT file_id) FILTER (WHERE late),
           min(event_time), max(event_time)
      FROM f GROUP BY w, event_type, category
  ),
  views AS (
    INSERT INTO page_view_deltas
    SELECT w, product_id, count(*) FROM f WHERE event_type = 'view' GROUP BY w, product_id
  ),
  users AS (
    INSERT INTO user_minutes SELECT DISTINCT w, event_type, user_id FROM f
  ),
  sessions AS (
    INSERT INTO session_deltas
    SELECT session_id, min(event_time), min(event_id), min(user_id), min(device_type),
           max(event_time), count(*),
           count(*) FILTER (WHERE event_type = 'view'),
           count(*) FILTER (WHERE event_type = 'add_to_cart'),
           count(*) FILTER (WHERE event_type = 'purchase'),
           coalesce(sum(price * quantity) FILTER (WHERE event_type = 'purchase'), 0)
      FROM f WHERE session_id IS NOT NULL GROUP BY session_id
  ),
  dirty AS (
    INSERT INTO session_dirty_users
    SELECT DISTINCT user_id, batch FROM f WHERE session_id IS NULL
  ),
  latency AS (
    INSERT INTO latency_deltas
    SELECT date_trunc('minute', ingested_at),
           -- date_part is a float; extract(epoch ...) a numeric, several times slower.
           latency_bucket(date_part('epoch', ingested_at) - date_part('epoch', s)), sum(n)
      FROM secs GROUP BY 1, 2
  )
  UPDATE ingested_files i SET max_event_time = m.latest
    FROM (SELECT file_id, max(latest) AS latest FROM secs GROUP BY file_id) m
   WHERE i.id = m.file_id;
  -- The batch id, which the settle that follows looks for.
  RETURN batch;
END;
$$;

-- The inferred sessions of the users files touched since the last settle, recomputed from their
-- events (gaps and islands). One settle at a time: the one that holds the lock takes what is
-- listed, again and again until nothing is (each pass sees every commit before it); one that
-- finds the lock taken returns -1 at once rather than wait, and its caller checks whether any
-- user its batch listed is still there (listed after the holder's last pass) before trying
-- again.
CREATE FUNCTION analytics_settle(p_gap interval) RETURNS integer
  LANGUAGE plpgsql AS $$
DECLARE
  touched text[];
  settled integer := 0;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('shopstream.analytics_settle')) THEN
    RETURN -1;
  END IF;
  LOOP
    WITH claimed AS (DELETE FROM session_dirty_users RETURNING user_id)
    SELECT array_agg(DISTINCT user_id) INTO touched FROM claimed;
    EXIT WHEN touched IS NULL;
    settled := settled + cardinality(touched);
    DELETE FROM inferred_sessions WHERE user_id = ANY (touched);
    INSERT INTO inferred_sessions
    SELECT 'inferred:' || user_id || ':' || to_char(min(event_time) AT TIME ZONE 'UTC',
                                                    'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           user_id, min(event_time), max(event_time), count(*),
           count(*) FILTER (WHERE event_type = 'view'),
           count(*) FILTER (WHERE event_type = 'add_to_cart'),
           count(*) FILTER (WHERE event_type = 'purchase'),
           coalesce(sum(price * quantity) FILTER (WHERE event_type = 'purchase'), 0),
           min(device_type)
      FROM (
        SELECT *, sum(starts) OVER (PARTITION BY user_id ORDER BY event_time, event_id) AS island
          FROM (
            SELECT e.*,
                   CASE WHEN lag(event_time) OVER w IS NULL
                          OR event_time - lag(event_time) OVER w > p_gap THEN 1 ELSE 0 END AS starts
              FROM events e
             WHERE user_id = ANY (touched) AND session_id IS NULL
            WINDOW w AS (PARTITION BY user_id ORDER BY event_time, event_id)
          ) marked
      ) islands
     GROUP BY user_id, island;
  END LOOP;
  RETURN settled;
END;
$$;

CREATE VIEW activity_per_minute AS
SELECT window_start, window_start + interval '1 minute' AS window_end, event_type, category,
       sum(events)::bigint AS events, sum(units)::bigint AS units,
       sum(revenue)::numeric(16, 2) AS revenue, sum(late_events)::bigint AS late_events,
       sum(revisions)::bigint AS revisions
  FROM activity_deltas
 GROUP BY window_start, event_type, category;

CREATE VIEW page_views_per_minute AS
SELECT window_start, window_start + interval '1 minute' AS window_end, product_id,
       sum(views)::bigint AS views
  FROM page_view_deltas
 GROUP BY window_start, product_id;

-- Windows of five minutes sliding by one: every window that holds a minute with activity.
CREATE VIEW active_users AS
SELECT starts.window_start, starts.window_start + interval '5 minutes' AS window_end,
       (SELECT count(DISTINCT u.user_id) FROM user_minutes u
         WHERE u.window_start >= starts.window_start
           AND u.window_start < starts.window_start + interval '5 minutes') AS users
  FROM (SELECT DISTINCT m.window_start - k * interval '1 minute' AS window_start
          FROM (SELECT DISTINCT window_start FROM user_minutes) m,
               generate_series(0, 4) AS k) starts;

-- The sessions started at or after a time, read through the sessions that have a delta since
-- then (by index), so that asking for the last minutes does not aggregate every session ever
-- stored; from '-infinity', all of them (the view).
CREATE FUNCTION sessions_since(p_since timestamptz)
  RETURNS TABLE (session_id text, user_id text, session_start timestamptz,
                 session_end timestamptz, duration_seconds double precision, events bigint,
                 views bigint, carts bigint, purchases bigint, revenue numeric(16, 2),
                 device_type text, inferred boolean)
  LANGUAGE sql STABLE AS $$
SELECT d.session_id, min(d.first_user_id), min(d.first_event_time), max(d.last_event_time),
       extract(epoch FROM max(d.last_event_time) - min(d.first_event_time))::double precision,
       sum(d.events)::bigint, sum(d.views)::bigint, sum(d.carts)::bigint,
       sum(d.purchases)::bigint, sum(d.revenue)::numeric(16, 2), min(d.first_device), false
  FROM session_deltas d
 WHERE d.session_id IN (SELECT s.session_id FROM session_deltas s WHERE s.first_event_time >= p_since)
 GROUP BY d.session_id
HAVING min(d.first_event_time) >= p_since
UNION ALL
SELECT i.session_id, i.user_id, i.session_start, i.session_end,
       extract(epoch FROM i.session_end - i.session_start)::double precision, i.events, i.views,
       i.carts, i.purchases, i.revenue, i.device_type, true
  FROM inferred_sessions i WHERE i.session_start >= p_since
$$;

CREATE VIEW sessions AS SELECT * FROM sessions_since('-infinity');

-- Sessions by the hour they started, from a time on; from '-infinity', every hour (the view).
CREATE FUNCTION funnel_since(p_since timestamptz)
  RETURNS TABLE (hour timestamptz, sessions bigint, with_view bigint, with_cart bigint,
                 with_purchase bigint, view_to_cart numeric, cart_to_purchase numeric)
  LANGUAGE sql STABLE AS $$
SELECT date_trunc('hour', session_start), count(*),
       count(*) FILTER (WHERE views > 0),
       count(*) FILTER (WHERE carts > 0),
       count(*) FILTER (WHERE purchases > 0),
       round(count(*) FILTER (WHERE carts > 0)::numeric
             / nullif(count(*) FILTER (WHERE views > 0), 0), 4),
       round(count(*) FILTER (WHERE purchases > 0)::numeric
             / nullif(count(*) FILTER (WHERE carts > 0), 0), 4)
  FROM sessions_since(p_since)
 GROUP BY 1
$$;

CREATE VIEW funnel_per_hour AS SELECT * FROM funnel_since('-infinity');

CREATE VIEW pipeline_watermark AS
SELECT m.max_event_time, s.allowed_lateness, m.max_event_time - s.allowed_lateness AS watermark
  FROM (SELECT max(max_event_time) AS max_event_time FROM ingested_files) m, pipeline_settings s;

-- The views of 0004, same names and columns, now read from the deltas.
DROP VIEW events_by_type, revenue_by_category, events_per_minute, ingestion_latency;

CREATE VIEW events_by_type AS
SELECT a.event_type, a.events,
       (SELECT count(DISTINCT user_id) FROM user_minutes u WHERE u.event_type = a.event_type)
         AS users,
       a.first_event_time, a.last_event_time
  FROM (SELECT event_type, sum(events)::bigint AS events, min(first_event_time) AS first_event_time,
               max(last_event_time) AS last_event_time
          FROM activity_deltas GROUP BY event_type) a;

CREATE VIEW revenue_by_category AS
SELECT coalesce(category, '(none)') AS category, sum(events)::bigint AS purchases,
       sum(units)::bigint AS units, sum(revenue)::numeric(14, 2) AS revenue
  FROM activity_deltas
 WHERE event_type = 'purchase'
 GROUP BY coalesce(category, '(none)');

CREATE VIEW events_per_minute AS
SELECT window_start AS minute, sum(events)::bigint AS events,
       coalesce(sum(events) FILTER (WHERE event_type = 'view'), 0)::bigint AS views,
       coalesce(sum(events) FILTER (WHERE event_type = 'add_to_cart'), 0)::bigint AS carts,
       coalesce(sum(events) FILTER (WHERE event_type = 'remove_from_cart'), 0)::bigint AS removals,
       coalesce(sum(events) FILTER (WHERE event_type = 'purchase'), 0)::bigint AS purchases
  FROM activity_deltas
 GROUP BY window_start;

-- Percentiles within the 1 % of the bucket they fall in.
CREATE VIEW ingestion_latency AS
WITH buckets AS (
  SELECT minute, bucket, sum(events) AS n FROM latency_deltas GROUP BY minute, bucket
), running AS (
  SELECT minute, bucket, n,
         sum(n) OVER (PARTITION BY minute ORDER BY bucket) AS upto,
         sum(n) OVER (PARTITION BY minute) AS total
    FROM buckets
)
SELECT minute, max(total)::bigint AS events,
       min(latency_of_bucket(bucket)) FILTER (WHERE upto >= 0.5 * total) AS p50_seconds,
       min(latency_of_bucket(bucket)) FILTER (WHERE upto >= 0.99 * total) AS p99_seconds,
       max(latency_of_bucket(bucket)) AS max_seconds
  FROM running
 GROUP BY minute;
