CREATE TABLE "device_commands" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"vehicle_id" uuid NOT NULL,
	"text" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"response" text,
	"error" text,
	"serial" integer GENERATED ALWAYS AS IDENTITY (sequence name "device_commands_serial_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 65535 START WITH 1 CACHE 1 CYCLE),
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"answered_at" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "device_commands_status_check" CHECK ("device_commands"."status" IN ('queued', 'sent', 'answered', 'failed', 'expired')),
	CONSTRAINT "device_commands_text_check" CHECK (char_length("device_commands"."text") BETWEEN 1 AND 200 AND "device_commands"."text" ~ '^[ -~]+$')
);
--> statement-breakpoint
ALTER TABLE "device_commands" ADD CONSTRAINT "device_commands_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_commands" ADD CONSTRAINT "device_commands_vehicle_id_vehicles_id_fk" FOREIGN KEY ("vehicle_id") REFERENCES "public"."vehicles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_commands" ADD CONSTRAINT "device_commands_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "device_commands_pending_idx" ON "device_commands" USING btree ("vehicle_id","created_at") WHERE "device_commands"."status" IN ('queued', 'sent');--> statement-breakpoint
CREATE INDEX "device_commands_vehicle_idx" ON "device_commands" USING btree ("vehicle_id","created_at");--> statement-breakpoint
CREATE INDEX "device_commands_org_idx" ON "device_commands" USING btree ("organization_id");