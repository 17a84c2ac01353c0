CREATE TABLE "document_templates" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"document_type_code" text NOT NULL,
	"fields" jsonb NOT NULL,
	"created_at" timestamp with time zone,
	"updated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "document_types" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "documents" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"file_name" text,
	"mime_type" text,
	"size_bytes" bigint,
	"storage_key" text,
	"document_type_code" text NOT NULL,
	"created_at" timestamp with time zone,
	"updated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "template_submissions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"template_id" bigint NOT NULL,
	"user_id" integer NOT NULL,
	"data" jsonb NOT NULL,
	"status" text NOT NULL,
	"submitted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "user_documents" (
	"document_id" bigint PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL
);
