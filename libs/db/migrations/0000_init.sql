-- Hand-edited: PostGIS first, and positions partitioned by month (drizzle-kit cannot express either).
CREATE EXTENSION IF NOT EXISTS postgis;--> statement-breakpoint
CREATE TYPE "public"."geofence_kind" AS ENUM('polygon', 'circle');--> statement-breakpoint
CREATE TYPE "public"."user_role" AS ENUM('admin', 'operator', 'viewer');--> statement-breakpoint
CREATE TABLE "events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"vehicle_id" uuid NOT NULL,
	"type" text NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"geofence_id" uuid,
	"point" geometry(Point,4326),
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_natural_key" UNIQUE NULLS NOT DISTINCT("vehicle_id","type","ts","geofence_id")
);
--> statement-breakpoint
CREATE TABLE "geofences" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"name" text NOT NULL,
	"kind" "geofence_kind" NOT NULL,
	"area" geometry(Geometry,4326) NOT NULL,
	"center" geometry(Point,4326),
	"radius_m" double precision,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ingest_staging" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"protocol" text NOT NULL,
	"position_count" integer NOT NULL,
	"payload" jsonb NOT NULL,
	"published_at" timestamp with time zone,
	"processed_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"position_retention_days" integer,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "organizations_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "positions" (
	"vehicle_id" uuid NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"point" geometry(Point,4326) NOT NULL,
	"speed_kmh" real,
	"heading" real,
	"altitude" real,
	"accuracy" real,
	"battery" real,
	"protocol" text,
	"attributes" jsonb,
	CONSTRAINT "positions_vehicle_id_ts_pk" PRIMARY KEY("vehicle_id","ts")
) PARTITION BY RANGE ("ts");
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"email" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"password_hash" text NOT NULL,
	"role" "user_role" DEFAULT 'viewer' NOT NULL,
	"disabled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vehicle_state" (
	"vehicle_id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"point" geometry(Point,4326) NOT NULL,
	"speed_kmh" real,
	"heading" real,
	"altitude" real,
	"accuracy" real,
	"battery" real,
	"attributes" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vehicles" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"name" text NOT NULL,
	"plate" text,
	"type" text DEFAULT 'car' NOT NULL,
	"device_identifier" text NOT NULL,
	"device_token_hash" text,
	"device_disabled_at" timestamp with time zone,
	"speed_limit_kmh" real,
	"color" text,
	"icon" text,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vehicles_device_identifier_unique" UNIQUE("device_identifier")
);
--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_vehicle_id_vehicles_id_fk" FOREIGN KEY ("vehicle_id") REFERENCES "public"."vehicles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_geofence_id_geofences_id_fk" FOREIGN KEY ("geofence_id") REFERENCES "public"."geofences"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "geofences" ADD CONSTRAINT "geofences_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vehicle_state" ADD CONSTRAINT "vehicle_state_vehicle_id_vehicles_id_fk" FOREIGN KEY ("vehicle_id") REFERENCES "public"."vehicles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vehicles" ADD CONSTRAINT "vehicles_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "events_org_ts_idx" ON "events" USING btree ("organization_id","ts");--> statement-breakpoint
CREATE INDEX "geofences_area_gist" ON "geofences" USING gist ("area");--> statement-breakpoint
CREATE INDEX "geofences_org_idx" ON "geofences" USING btree ("organization_id");--> statement-breakpoint
CREATE INDEX "ingest_staging_unprocessed_idx" ON "ingest_staging" USING btree ("received_at") WHERE "ingest_staging"."processed_at" IS NULL;--> statement-breakpoint
CREATE INDEX "ingest_staging_processed_idx" ON "ingest_staging" USING btree ("processed_at") WHERE "ingest_staging"."processed_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "positions_point_gist" ON "positions" USING gist ("point");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_lower_key" ON "users" USING btree (lower("email"));--> statement-breakpoint
CREATE INDEX "users_org_idx" ON "users" USING btree ("organization_id");--> statement-breakpoint
CREATE INDEX "vehicle_state_point_gist" ON "vehicle_state" USING gist ("point");--> statement-breakpoint
CREATE INDEX "vehicle_state_org_idx" ON "vehicle_state" USING btree ("organization_id","ts");--> statement-breakpoint
CREATE INDEX "vehicles_org_idx" ON "vehicles" USING btree ("organization_id");