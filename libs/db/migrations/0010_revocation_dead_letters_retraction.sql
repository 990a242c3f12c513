CREATE TABLE "ingest_dead_letters" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"staging_id" bigint NOT NULL,
	"protocol" text NOT NULL,
	"vehicle_id" uuid,
	"ts" timestamp with time zone,
	"fix" json NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"replayed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "retracted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "session_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "ingest_dead_letters_pending_idx" ON "ingest_dead_letters" USING btree ("created_at") WHERE "ingest_dead_letters"."replayed_at" IS NULL;