CREATE TABLE "vehicle_counters" (
	"vehicle_id" uuid PRIMARY KEY NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"lat" double precision NOT NULL,
	"lon" double precision NOT NULL,
	"ignition" boolean,
	"odometer_km" double precision DEFAULT 0 NOT NULL,
	"engine_seconds" double precision DEFAULT 0 NOT NULL,
	"odometer_reading_ts" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "vehicle_counters" ADD CONSTRAINT "vehicle_counters_vehicle_id_vehicles_id_fk" FOREIGN KEY ("vehicle_id") REFERENCES "public"."vehicles"("id") ON DELETE cascade ON UPDATE no action;