CREATE TABLE "place_cache" (
	"lat_cell" integer NOT NULL,
	"lon_cell" integer NOT NULL,
	"place" text,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"fetched_at" timestamp with time zone,
	CONSTRAINT "place_cache_lat_cell_lon_cell_pk" PRIMARY KEY("lat_cell","lon_cell"),
	CONSTRAINT "place_cache_cell_check" CHECK ("place_cache"."lat_cell" BETWEEN -90000 AND 90000 AND "place_cache"."lon_cell" BETWEEN -180000 AND 179999)
);
