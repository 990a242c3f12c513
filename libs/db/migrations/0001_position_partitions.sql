-- Monthly partitions of positions. A default partition catches fixes outside every monthly range
-- (an old GPX import, a clock far off), so no accepted fix is ever refused by the table layout.
CREATE TABLE IF NOT EXISTS "positions_default" PARTITION OF "positions" DEFAULT;
--> statement-breakpoint
-- Creates the monthly partitions covering [month of from_ts, + months). Rows already sitting in the
-- default partition for a new month are moved into it, so the function can always run. Idempotent.
CREATE OR REPLACE FUNCTION ensure_position_partitions(from_ts timestamptz, months integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  lo timestamptz;
  hi timestamptz;
  part text;
  created integer := 0;
BEGIN
  FOR i IN 0 .. months - 1 LOOP
    lo := date_trunc('month', from_ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + make_interval(months => i);
    hi := lo + interval '1 month';
    part := format('positions_y%sm%s', to_char(lo AT TIME ZONE 'UTC', 'YYYY'), to_char(lo AT TIME ZONE 'UTC', 'MM'));
    CONTINUE WHEN to_regclass(format('public.%I', part)) IS NOT NULL;
    -- Serialise concurrent callers (worker replicas) on the same month.
    PERFORM pg_advisory_xact_lock(hashtext(part));
    CONTINUE WHEN to_regclass(format('public.%I', part)) IS NOT NULL;
    CREATE TEMP TABLE _moved_positions ON COMMIT DROP AS
      WITH d AS (DELETE FROM positions_default WHERE ts >= lo AND ts < hi RETURNING *) SELECT * FROM d;
    EXECUTE format('CREATE TABLE %I PARTITION OF positions FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    INSERT INTO positions SELECT * FROM _moved_positions;
    DROP TABLE _moved_positions;
    created := created + 1;
  END LOOP;
  RETURN created;
END;
$$;
--> statement-breakpoint
SELECT ensure_position_partitions(now() - interval '1 month', 4);
