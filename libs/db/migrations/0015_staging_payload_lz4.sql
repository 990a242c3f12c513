-- Staged payloads are compressed with lz4 rather than pglz where the server has it: a 1,000-position
-- payload (~190 kB of JSON) cost PostgreSQL ~9 ms of CPU to compress with pglz and ~3 ms with lz4, at
-- about the same size; at tens of thousands of positions a second that is a third of a core.
-- A server built without lz4 keeps pglz. Existing values stay as they are (only new ones change).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
    ALTER TABLE "ingest_staging" ALTER COLUMN "payload" SET COMPRESSION lz4;
  END IF;
END
$$;
