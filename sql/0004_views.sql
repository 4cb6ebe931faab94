CREATE VIEW events_by_type AS
SELECT event_type,
       count(*)                AS events,
       count(DISTINCT user_id) AS users,
       min(event_time)         AS first_event_time,
       max(event_time)         AS last_event_time
FROM events
GROUP BY event_type;

CREATE VIEW revenue_by_category AS
SELECT coalesce(category, '(none)')  AS category,
       count(*)                      AS purchases,
       sum(quantity)                 AS units,
       sum(price * quantity)::numeric(14, 2) AS revenue
FROM events
WHERE event_type = 'purchase'
GROUP BY coalesce(category, '(none)');

CREATE VIEW events_per_minute AS
SELECT date_trunc('minute', event_time)                      AS minute,
       count(*)                                              AS events,
       count(*) FILTER (WHERE event_type = 'view')             AS views,
       count(*) FILTER (WHERE event_type = 'add_to_cart')      AS carts,
       count(*) FILTER (WHERE event_type = 'remove_from_cart') AS removals,
       count(*) FILTER (WHERE event_type = 'purchase')         AS purchases
FROM events
GROUP BY 1;

-- Latency from the moment an event happened to the moment it was committed, per minute of
-- ingestion. Late events in the source show up here as a long tail.
CREATE VIEW ingestion_latency AS
SELECT date_trunc('minute', ingested_at) AS minute,
       count(*)                          AS events,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ingested_at - event_time))
                                         AS p50_seconds,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM ingested_at - event_time))
                                         AS p99_seconds,
       max(extract(epoch FROM ingested_at - event_time)) AS max_seconds
FROM events
GROUP BY 1;
