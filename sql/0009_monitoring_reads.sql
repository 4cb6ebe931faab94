-- The export function's sweep publishes the pipeline's figures to CloudWatch once a minute
-- (functions/export/gauges.ts), read through the views `npm run status` and `npm run
-- analytics` read. It connects with the writer role, which may now read these three views;
-- reading is all it gains.
GRANT SELECT ON pipeline_watermark, activity_per_minute, export_lag TO shopstream_writer;
