import type { LegacyTableName } from './schema.js';

/**
 * The columns of every legacy table (mappings/legacy/schema.sql), so that inverse mappings are
 * type-checked against the legacy schema as forward mappings are against the drizzle tables.
 * `columns.test.ts` compares this list with the columns of a database created from schema.sql.
 */
export const LEGACY_COLUMNS = {
  roles: ['id', 'name', 'permissions', 'created_at'],
  users: ['id', 'email', 'password_hash', 'role_id', 'full_name', 'phone', 'company_name', 'nationality', 'avatar_url', 'bio', 'is_active', 'last_login_at', 'created_at', 'updated_at'],
  sessions: ['id', 'user_id', 'token_hash', 'expires_at'],
  free_zones: ['id', 'slug', 'name', 'emirate', 'description', 'website', 'benefits', 'setup_cost_min', 'setup_cost_max', 'created_at', 'updated_at'],
  business_activities: ['id', 'free_zone_id', 'code', 'name', 'description', 'category', 'category_description', 'is_regulated', 'approval_authority', 'created_at'],
  establishment_guides: ['id', 'free_zone_id', 'entity_type', 'title', 'steps', 'required_documents', 'estimated_days', 'updated_at'],
  documents: ['id', 'user_id', 'title', 'file_name', 'mime_type', 'size_bytes', 'storage_key', 'document_type', 'is_template', 'template_fields', 'created_at', 'updated_at'],
  template_submissions: ['id', 'template_id', 'user_id', 'data', 'status', 'submitted_at'],
  business_setup: ['id', 'user_id', 'free_zone_id', 'activity_ids', 'entity_type', 'status', 'progress', 'notes', 'created_at', 'updated_at'],
  conversations: ['id', 'user_id', 'title', 'model', 'created_at', 'updated_at'],
  messages: ['id', 'conversation_id', 'role', 'content', 'tokens', 'created_at'],
  assistant_memory: ['id', 'user_id', 'key', 'value', 'updated_at'],
  ai_training_data: ['id', 'source', 'input', 'output', 'tags', 'created_at'],
  research_topics: ['id', 'user_id', 'topic', 'status', 'result', 'created_at', 'updated_at'],
  web_research_items: ['id', 'topic_id', 'url', 'title', 'content', 'fetched_at'],
  scraper_tasks: ['id', 'url', 'free_zone_id', 'kind', 'status', 'created_at', 'updated_at'],
  scraper_results: ['id', 'task_id', 'http_status', 'content', 'extracted', 'scraped_at'],
  scraper_schedules: ['id', 'task_id', 'cron', 'enabled', 'next_run_at'],
  activity_logs: ['id', 'actor_user_id', 'action', 'entity', 'entity_id', 'details', 'created_at'],
} as const satisfies Readonly<Record<LegacyTableName, readonly string[]>>;

export type LegacyColumn<L extends LegacyTableName> = (typeof LEGACY_COLUMNS)[L][number];
