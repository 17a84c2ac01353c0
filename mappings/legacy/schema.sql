-- The legacy monolith (monolith.md, "Legacy database legacy, schema public"): 19 tables.
-- Plain DDL for a fresh database; the tables are created in foreign-key order.

CREATE TABLE public.roles (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  permissions jsonb NOT NULL DEFAULT '[]',
  created_at timestamp NOT NULL DEFAULT now()
);

CREATE TABLE public.users (
  id serial PRIMARY KEY,
  email text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  role_id int NOT NULL REFERENCES public.roles,
  full_name text,
  phone text,
  company_name text,
  nationality text,
  avatar_url text,
  bio text,
  is_active boolean NOT NULL DEFAULT true,
  last_login_at timestamp,
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now()
);

CREATE TABLE public.sessions (
  id uuid PRIMARY KEY,
  user_id int REFERENCES public.users,
  token_hash text NOT NULL,
  expires_at timestamp NOT NULL
);

CREATE TABLE public.free_zones (
  id serial PRIMARY KEY,
  slug text NOT NULL UNIQUE,
  name text NOT NULL,
  emirate text NOT NULL,
  description text,
  website text,
  benefits text,
  setup_cost_min numeric(12,2),
  setup_cost_max numeric(12,2),
  created_at timestamp,
  updated_at timestamp
);

CREATE TABLE public.business_activities (
  id serial PRIMARY KEY,
  free_zone_id int NOT NULL REFERENCES public.free_zones,
  code text NOT NULL,
  name text NOT NULL,
  description text,
  category text NOT NULL,
  category_description text,
  is_regulated boolean NOT NULL DEFAULT false,
  approval_authority text,
  created_at timestamp,
  UNIQUE (free_zone_id, code)
);

CREATE TABLE public.establishment_guides (
  id serial PRIMARY KEY,
  free_zone_id int REFERENCES public.free_zones,
  entity_type text NOT NULL,
  title text NOT NULL,
  steps jsonb NOT NULL,
  required_documents text[] NOT NULL DEFAULT '{}',
  estimated_days int,
  updated_at timestamp
);

CREATE TABLE public.documents (
  id bigserial PRIMARY KEY,
  user_id int REFERENCES public.users,
  title text NOT NULL,
  file_name text,
  mime_type text,
  size_bytes bigint,
  storage_key text,
  document_type text NOT NULL,
  is_template boolean NOT NULL DEFAULT false,
  template_fields jsonb,
  created_at timestamp,
  updated_at timestamp
);

CREATE TABLE public.template_submissions (
  id bigserial PRIMARY KEY,
  template_id bigint NOT NULL REFERENCES public.documents,
  user_id int NOT NULL REFERENCES public.users,
  data jsonb NOT NULL,
  status text NOT NULL,
  submitted_at timestamp
);

CREATE TABLE public.business_setup (
  id serial PRIMARY KEY,
  user_id int REFERENCES public.users,
  free_zone_id int REFERENCES public.free_zones,
  activity_ids int[],
  entity_type text,
  status text,
  progress jsonb,
  notes text,
  created_at timestamp,
  updated_at timestamp
);

CREATE TABLE public.conversations (
  id uuid PRIMARY KEY,
  user_id int REFERENCES public.users,
  title text,
  model text,
  created_at timestamp,
  updated_at timestamp
);

CREATE TABLE public.messages (
  id bigserial PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES public.conversations,
  role text NOT NULL,
  content text NOT NULL,
  tokens int,
  created_at timestamp
);

CREATE TABLE public.assistant_memory (
  id serial PRIMARY KEY,
  user_id int NOT NULL,
  key text NOT NULL,
  value jsonb NOT NULL,
  updated_at timestamp,
  UNIQUE (user_id, key)
);

CREATE TABLE public.ai_training_data (
  id bigserial PRIMARY KEY,
  source text,
  input text NOT NULL,
  output text NOT NULL,
  tags text,
  created_at timestamp
);

CREATE TABLE public.research_topics (
  id serial PRIMARY KEY,
  user_id int,
  topic text NOT NULL,
  status text NOT NULL,
  result jsonb,
  created_at timestamp,
  updated_at timestamp
);

CREATE TABLE public.web_research_items (
  id bigserial PRIMARY KEY,
  topic_id int REFERENCES public.research_topics,
  url text NOT NULL,
  title text,
  content text,
  fetched_at timestamp
);

CREATE TABLE public.scraper_tasks (
  id serial PRIMARY KEY,
  url text NOT NULL,
  free_zone_id int REFERENCES public.free_zones,
  kind text NOT NULL,
  status text NOT NULL,
  created_at timestamp,
  updated_at timestamp
);

CREATE TABLE public.scraper_results (
  id bigserial PRIMARY KEY,
  task_id int NOT NULL REFERENCES public.scraper_tasks,
  http_status int,
  content text,
  extracted jsonb,
  scraped_at timestamp
);

CREATE TABLE public.scraper_schedules (
  id serial PRIMARY KEY,
  task_id int NOT NULL REFERENCES public.scraper_tasks,
  cron text NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  next_run_at timestamp
);

CREATE TABLE public.activity_logs (
  id bigserial PRIMARY KEY,
  actor_user_id int,
  action text NOT NULL,
  entity text NOT NULL,
  entity_id text,
  details jsonb,
  created_at timestamp
);
