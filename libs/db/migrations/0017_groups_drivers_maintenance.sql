CREATE TABLE "driver_assignments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"vehicle_id" uuid NOT NULL,
	"driver_id" uuid NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"source" text DEFAULT 'manual' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "driver_assignments_source_check" CHECK ("driver_assignments"."source" IN ('manual', 'auto')),
	CONSTRAINT "driver_assignments_period_check" CHECK ("driver_assignments"."ended_at" IS NULL OR "driver_assignments"."ended_at" >= "driver_assignments"."started_at")
);
--> statement-breakpoint
CREATE TABLE "drivers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"name" text NOT NULL,
	"licence_number" text,
	"licence_expires_on" date,
	"unique_id" text,
	"phone" text,
	"notes" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "maintenance_records" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"vehicle_id" uuid NOT NULL,
	"rule_id" uuid,
	"done_at" timestamp with time zone NOT NULL,
	"odometer_km" double precision,
	"engine_hours" double precision,
	"note" text DEFAULT '' NOT NULL,
	"user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "maintenance_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"vehicle_id" uuid,
	"group_id" uuid,
	"name" text NOT NULL,
	"every_km" double precision,
	"every_engine_hours" double precision,
	"every_months" integer,
	"notify_before_km" double precision DEFAULT 0 NOT NULL,
	"notify_before_engine_hours" double precision DEFAULT 0 NOT NULL,
	"notify_before_days" integer DEFAULT 0 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "maintenance_rules_one_target" CHECK ("maintenance_rules"."vehicle_id" IS NULL OR "maintenance_rules"."group_id" IS NULL),
	CONSTRAINT "maintenance_rules_some_interval" CHECK ("maintenance_rules"."every_km" > 0 OR "maintenance_rules"."every_engine_hours" > 0 OR "maintenance_rules"."every_months" > 0)
);
--> statement-breakpoint
CREATE TABLE "user_group_scopes" (
	"user_id" uuid NOT NULL,
	"group_id" uuid NOT NULL,
	CONSTRAINT "user_group_scopes_user_id_group_id_pk" PRIMARY KEY("user_id","group_id")
);
--> statement-breakpoint
CREATE TABLE "vehicle_groups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"parent_id" uuid,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vehicle_groups_not_own_parent" CHECK ("vehicle_groups"."parent_id" IS DISTINCT FROM "vehicle_groups"."id")
);
--> statement-breakpoint
ALTER TABLE "events" DROP CONSTRAINT "events_natural_key";--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "subject_id" uuid;--> statement-breakpoint
ALTER TABLE "notification_rules" ADD COLUMN "group_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL;--> statement-breakpoint
ALTER TABLE "report_schedules" ADD COLUMN "group_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL;--> statement-breakpoint
ALTER TABLE "vehicles" ADD COLUMN "group_id" uuid;--> statement-breakpoint
ALTER TABLE "driver_assignments" ADD CONSTRAINT "driver_assignments_vehicle_id_vehicles_id_fk" FOREIGN KEY ("vehicle_id") REFERENCES "public"."vehicles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "driver_assignments" ADD CONSTRAINT "driver_assignments_driver_id_drivers_id_fk" FOREIGN KEY ("driver_id") REFERENCES "public"."drivers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drivers" ADD CONSTRAINT "drivers_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maintenance_records" ADD CONSTRAINT "maintenance_records_vehicle_id_vehicles_id_fk" FOREIGN KEY ("vehicle_id") REFERENCES "public"."vehicles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maintenance_records" ADD CONSTRAINT "maintenance_records_rule_id_maintenance_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."maintenance_rules"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maintenance_records" ADD CONSTRAINT "maintenance_records_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maintenance_rules" ADD CONSTRAINT "maintenance_rules_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maintenance_rules" ADD CONSTRAINT "maintenance_rules_vehicle_id_vehicles_id_fk" FOREIGN KEY ("vehicle_id") REFERENCES "public"."vehicles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maintenance_rules" ADD CONSTRAINT "maintenance_rules_group_id_vehicle_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."vehicle_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_group_scopes" ADD CONSTRAINT "user_group_scopes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_group_scopes" ADD CONSTRAINT "user_group_scopes_group_id_vehicle_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."vehicle_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vehicle_groups" ADD CONSTRAINT "vehicle_groups_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vehicle_groups" ADD CONSTRAINT "vehicle_groups_parent_id_vehicle_groups_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."vehicle_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "driver_assignments_vehicle_idx" ON "driver_assignments" USING btree ("vehicle_id","started_at");--> statement-breakpoint
CREATE INDEX "driver_assignments_driver_idx" ON "driver_assignments" USING btree ("driver_id","started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "driver_assignments_open_key" ON "driver_assignments" USING btree ("vehicle_id") WHERE "driver_assignments"."ended_at" IS NULL;--> statement-breakpoint
CREATE INDEX "drivers_org_idx" ON "drivers" USING btree ("organization_id");--> statement-breakpoint
CREATE UNIQUE INDEX "drivers_unique_id_key" ON "drivers" USING btree ("organization_id","unique_id") WHERE "drivers"."unique_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "maintenance_records_vehicle_idx" ON "maintenance_records" USING btree ("vehicle_id","done_at");--> statement-breakpoint
CREATE INDEX "maintenance_rules_org_idx" ON "maintenance_rules" USING btree ("organization_id");--> statement-breakpoint
CREATE INDEX "user_group_scopes_group_idx" ON "user_group_scopes" USING btree ("group_id");--> statement-breakpoint
CREATE INDEX "vehicle_groups_org_idx" ON "vehicle_groups" USING btree ("organization_id");--> statement-breakpoint
CREATE INDEX "vehicle_groups_parent_idx" ON "vehicle_groups" USING btree ("parent_id") WHERE "vehicle_groups"."parent_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "vehicle_groups_sibling_name_key" ON "vehicle_groups" USING btree ("organization_id",coalesce("parent_id", '00000000-0000-0000-0000-000000000000'::uuid),lower("name"));--> statement-breakpoint
ALTER TABLE "vehicles" ADD CONSTRAINT "vehicles_group_id_vehicle_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."vehicle_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "vehicles_group_idx" ON "vehicles" USING btree ("group_id") WHERE "vehicles"."group_id" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_natural_key" UNIQUE NULLS NOT DISTINCT("vehicle_id","type","ts","geofence_id","subject_id");