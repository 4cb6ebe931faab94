-- Folding the analytics deltas, and a settle that waits its turn (docs/analytics.md).
--
-- Every batch of files appends its own delta rows, so a minute that many small files touched
-- holds as many rows for each key as there were batches, and reading it costs that many. The
-- rollup replaces the rows of every key a batch touched since the last rollup by one row with
-- their sum, in one statement per table: the views read the same figures before and after,
-- rows appended meanwhile are left for the next rollup, and no load ever waits on it.

ALTER TABLE activity_deltas ADD COLUMN rolled boolean NOT NULL DEFAULT false;
ALTER TABLE page_view_deltas ADD COLUMN rolled boolean NOT NULL DEFAULT false;
ALTER TABLE user_minutes ADD COLUMN rolled boolean NOT NULL DEFAULT false;
ALTER TABLE session_deltas ADD COLUMN rolled boolean NOT NULL DEFAULT false;
ALTER TABLE latency_deltas ADD COLUMN rolled boolean NOT NULL DEFAULT false;

-- The keys appended since the last rollup, found without reading the folded rows.
CREATE INDEX activity_deltas_fresh_idx ON activity_deltas (window_start) WHERE NOT rolled;
CREATE INDEX page_view_deltas_fresh_idx ON page_view_deltas (window_start) WHERE NOT rolled;
CREATE INDEX user_minutes_fresh_idx ON user_minutes (window_start) WHERE NOT rolled;
CREATE INDEX session_deltas_fresh_idx ON session_deltas (session_id) WHERE NOT rolled;
CREATE INDEX latency_deltas_fresh_idx ON latency_deltas (minute) WHERE NOT rolled;

CREATE TABLE analytics_rollups (
  id        integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  rolled_at timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO analytics_rollups DEFAULT VALUES;

-- Folds what was appended since the last rollup, if that was at least p_every ago and no other
-- rollup is running; returns whether it ran. The statements run one table at a time, each
-- atomic.
CREATE FUNCTION analytics_rollup(p_every interval DEFAULT interval '0 seconds') RETURNS boolean
  LANGUAGE plpgsql SET work_mem = '64MB' AS $$
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('shopstream.analytics_rollup')) THEN
    RETURN false;
  END IF;
  IF (SELECT clock_timestamp() - rolled_at < p_every FROM analytics_rollups) THEN
    RETURN false;
  END IF;

  WITH gone AS (
    DELETE FROM activity_deltas
     WHERE window_start IN (SELECT window_start FROM activity_deltas WHERE NOT rolled)
    RETURNING *
  )
  INSERT INTO activity_deltas
  SELECT window_start, event_type, category, sum(events), sum(units), sum(revenue),
         sum(late_events), sum(revisions), min(first_event_time), max(last_event_time), true
    FROM gone GROUP BY window_start, event_type, category;

  WITH gone AS (
    DELETE FROM page_view_deltas
     WHERE window_start IN (SELECT window_start FROM page_view_deltas WHERE NOT rolled)
    RETURNING *
  )
  INSERT INTO page_view_deltas
  SELECT window_start, product_id, sum(views), true FROM gone GROUP BY window_start, product_id;

  WITH gone AS (
    DELETE FROM user_minutes
     WHERE window_start IN (SELECT window_start FROM user_minutes WHERE NOT rolled)
    RETURNING *
  )
  INSERT INTO user_minutes
  SELECT DISTINCT window_start, event_type, user_id, true FROM gone;

  WITH gone AS (
    DELETE FROM session_deltas
     WHERE session_id IN (SELECT session_id FROM session_deltas WHERE NOT rolled)
    RETURNING *
  )
  INSERT INTO session_deltas
  SELECT session_id, min(first_event_time), min(first_event_id), min(first_user_id),
         min(first_device), max(last_event_time), sum(events), sum(views), sum(carts),
         sum(purchases), sum(revenue), true
    FROM gone GROUP BY session_id;

  WITH gone AS (
    DELETE FROM latency_deltas
     WHERE minute IN (SELECT minute FROM latency_deltas WHERE NOT rolled)
    RETURNING *
  )
  INSERT INTO latency_deltas
  SELECT minute, bucket, sum(events), true FROM gone GROUP BY minute, bucket;

  UPDATE analytics_rollups SET rolled_at = clock_timestamp();
  RETURN true;
END;
$$;

-- The settle of 0005 let a caller that found the lock taken poll until the holder had taken
-- its users: dozens of queries per batch in a burst. Now a caller whose users are still listed
-- waits for the lock and makes one pass, which takes every user listed by then (its own
-- among them, unless a pass before it took them).
DROP FUNCTION analytics_settle(interval);
CREATE FUNCTION analytics_settle(p_gap interval, p_batch bigint) RETURNS integer
  LANGUAGE plpgsql AS $$
DECLARE
  touched text[];
BEGIN
  IF NOT EXISTS (SELECT 1 FROM session_dirty_users WHERE batch = p_batch) THEN
    RETURN 0;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('shopstream.analytics_settle'));
  WITH claimed AS (DELETE FROM session_dirty_users RETURNING user_id)
  SELECT array_agg(DISTINCT user_id) INTO touched FROM claimed;
  IF touched IS NULL THEN
    RETURN 0;
  END IF;
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
  RETURN cardinality(touched);
END;
$$;

-- What an ingest invocation runs after its files' commits, in one round trip: apply the
-- pending deltas (committed, so that any settle sees the users they list), settle the
-- inferred sessions, and fold the deltas if the last rollup is at least p_rollup_every old.
CREATE PROCEDURE analytics_after_commit(p_gap interval, p_rollup_every interval,
                                        INOUT settled integer DEFAULT NULL)
  LANGUAGE plpgsql AS $$
DECLARE
  batch bigint;
BEGIN
  batch := analytics_apply_pending();
  COMMIT;
  settled := analytics_settle(p_gap, batch);
  COMMIT;
  PERFORM analytics_rollup(p_rollup_every);
END;
$$;

-- Active users of the windows starting from p_from to p_to, exact: each user's active minutes,
-- in order, each covering the windows it adds to those the user's previous minute covered (a
-- window starting at s holds the minutes s to s + 4), so that no user is counted twice in a
-- window without a DISTINCT over every window and user.
CREATE FUNCTION active_users_between(p_from timestamptz, p_to timestamptz)
  RETURNS TABLE (window_start timestamptz, window_end timestamptz, users bigint)
  LANGUAGE sql STABLE AS $$
WITH m AS (
  SELECT DISTINCT u.user_id, u.window_start FROM user_minutes u
   WHERE u.window_start >= p_from AND u.window_start < p_to + interval '5 minutes'
), cover AS (
  SELECT m.window_start AS last_start,
         greatest(m.window_start - interval '4 minutes',
                  lag(m.window_start) OVER (PARTITION BY m.user_id ORDER BY m.window_start)
                    + interval '1 minute') AS first_start
    FROM m
)
SELECT s, s + interval '5 minutes', count(*)
  FROM cover, generate_series(cover.first_start, cover.last_start, interval '1 minute') AS s
 WHERE s >= p_from AND s <= p_to
 GROUP BY s
$$;

CREATE OR REPLACE VIEW active_users AS
SELECT * FROM active_users_between('-infinity', 'infinity');

-- The sessions started at or after a time, as in 0005, but fetched through the session id
-- index for the ids the start-time index finds: with a semi-join the planner read every
-- session ever stored, and the reads grew with the table.
CREATE OR REPLACE FUNCTION sessions_since(p_since timestamptz)
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
 WHERE d.session_id = ANY (ARRAY(SELECT DISTINCT s.session_id FROM session_deltas s
                                  WHERE s.first_event_time >= p_since))
 GROUP BY d.session_id
HAVING min(d.first_event_time) >= p_since
UNION ALL
SELECT i.session_id, i.user_id, i.session_start, i.session_end,
       extract(epoch FROM i.session_end - i.session_start)::double precision, i.events, i.views,
       i.carts, i.purchases, i.revenue, i.device_type, true
  FROM inferred_sessions i WHERE i.session_start >= p_since
$$;
