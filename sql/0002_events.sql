CREATE TABLE events (
  event_id     text PRIMARY KEY,
  event_time   timestamptz NOT NULL,
  event_type   text NOT NULL
    CHECK (event_type IN ('view', 'add_to_cart', 'remove_from_cart', 'purchase')),
  user_id      text NOT NULL,
  session_id   text,
  product_id   text NOT NULL,
  product_name text,
  category     text,
  price        numeric(12, 2) CHECK (price >= 0 AND price < 1000000),
  quantity     integer NOT NULL DEFAULT 1 CHECK (quantity BETWEEN 1 AND 1000),
  device_type  text CHECK (device_type IN ('mobile', 'desktop', 'tablet', 'other')),
  file_id      bigint NOT NULL REFERENCES ingested_files (id),
  line_number  integer NOT NULL,
  ingested_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX events_event_time_idx ON events (event_time);
CREATE INDEX events_user_id_idx ON events (user_id);
CREATE INDEX events_event_type_idx ON events (event_type);
