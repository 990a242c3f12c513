-- Staged payloads are compressed by TOAST once they pass ~2 kB (every batch request). lz4 costs a
-- fraction of the default pglz's CPU, and that CPU is on the ingestion path.
ALTER TABLE "ingest_staging" ALTER COLUMN "payload" SET COMPRESSION lz4;
