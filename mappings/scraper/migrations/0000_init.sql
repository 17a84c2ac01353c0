CREATE TABLE "activity_logs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"actor_user_id" integer,
	"action" text NOT NULL,
	"entity" text NOT NULL,
	"entity_id" text,
	"details" jsonb,
	"created_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "scraper_results" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"task_id" integer NOT NULL,
	"http_status" integer,
	"content" text,
	"extracted" jsonb,
	"scraped_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "scraper_schedules" (
	"id" serial PRIMARY KEY NOT NULL,
	"task_id" integer NOT NULL,
	"cron" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"next_run_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "scraper_tasks" (
	"id" serial PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"free_zone_id" integer,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone,
	"updated_at" timestamp with time zone
);
