CREATE TABLE "business_activities" (
	"id" serial PRIMARY KEY NOT NULL,
	"free_zone_id" integer NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"category_slug" text NOT NULL,
	"is_regulated" boolean DEFAULT false NOT NULL,
	"approval_authority" text,
	"created_at" timestamp with time zone,
	CONSTRAINT "business_activities_free_zone_id_code_unique" UNIQUE("free_zone_id","code")
);
--> statement-breakpoint
CREATE TABLE "business_activity_categories" (
	"slug" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text
);
--> statement-breakpoint
CREATE TABLE "establishment_guides" (
	"id" serial PRIMARY KEY NOT NULL,
	"free_zone_id" integer,
	"entity_type" text NOT NULL,
	"title" text NOT NULL,
	"steps" jsonb NOT NULL,
	"required_documents" text[] DEFAULT '{}' NOT NULL,
	"estimated_days" integer,
	"updated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "free_zones" (
	"id" serial PRIMARY KEY NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"emirate" text NOT NULL,
	"description" text,
	"website" text,
	"benefits" text[] NOT NULL,
	"min_setup_cost_aed" numeric(12, 2),
	"max_setup_cost_aed" numeric(12, 2),
	"created_at" timestamp with time zone,
	"updated_at" timestamp with time zone,
	CONSTRAINT "free_zones_slug_unique" UNIQUE("slug")
);
