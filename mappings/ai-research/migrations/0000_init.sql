CREATE TABLE "ai_training_data" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text,
	"input" text NOT NULL,
	"output" text NOT NULL,
	"tags" text[] NOT NULL,
	"created_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "assistant_memory" (
	"id" serial PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"key" text NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone,
	CONSTRAINT "assistant_memory_user_id_key_unique" UNIQUE("user_id","key")
);
--> statement-breakpoint
CREATE TABLE "conversations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" integer,
	"title" text,
	"model" text,
	"created_at" timestamp with time zone,
	"updated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"conversation_id" uuid NOT NULL,
	"role" text NOT NULL,
	"content" text NOT NULL,
	"tokens" integer,
	"created_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "research_topics" (
	"id" serial PRIMARY KEY NOT NULL,
	"user_id" integer,
	"topic" text NOT NULL,
	"status" text NOT NULL,
	"result" jsonb,
	"created_at" timestamp with time zone,
	"updated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "web_research_items" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"topic_id" integer,
	"url" text NOT NULL,
	"title" text,
	"content" text,
	"fetched_at" timestamp with time zone
);
