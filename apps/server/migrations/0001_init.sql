-- Nexus data model (DESIGN.md §4). Every business table carries tenant_id.
-- Plain SQL, applied in order by `nexus migrate` and at start-up; each file runs in one transaction.

CREATE TABLE tenants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  settings jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Key/value state of the installation itself (not tenant data): e.g. when demo data was loaded.
CREATE TABLE system_state (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE regions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  code text NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{1,32}$'),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, code),
  UNIQUE (tenant_id, id)
);

-- Departments are unique per region + code: UK/HR is not US/HR.
CREATE TABLE departments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  region_id uuid NOT NULL,
  code text NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{1,32}$'),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, region_id, code),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, region_id) REFERENCES regions(tenant_id, id) ON DELETE RESTRICT
);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  email text NOT NULL CHECK (position('@' in email) > 1),
  display_name text NOT NULL DEFAULT '',
  role text NOT NULL DEFAULT 'user' CHECK (role IN ('super_admin', 'content_manager', 'user')),
  department_id uuid,
  is_active boolean NOT NULL DEFAULT true,
  totp_secret text,
  totp_enabled_at timestamptz,
  failed_login_count integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  last_login_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, department_id) REFERENCES departments(tenant_id, id) ON DELETE SET NULL (department_id)
);
CREATE UNIQUE INDEX users_tenant_email_key ON users (tenant_id, lower(email));

-- External identities (OIDC subject per issuer) linked to a user.
CREATE TABLE identities (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  issuer text NOT NULL,
  subject text NOT NULL,
  claims jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz,
  UNIQUE (issuer, subject),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE password_hashes (
  user_id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  hash text NOT NULL CHECK (hash LIKE '$argon2id$%'),
  updated_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
);

-- Maps an IdP group id / department attribute to a department.
CREATE TABLE idp_group_mappings (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  claim_value text NOT NULL,
  department_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, claim_value),
  FOREIGN KEY (tenant_id, department_id) REFERENCES departments(tenant_id, id) ON DELETE CASCADE
);

-- Opaque refresh tokens, stored hashed; rotation keeps a family so reuse revokes it whole.
CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  token_hash text NOT NULL UNIQUE,
  family_id uuid NOT NULL,
  parent_id uuid REFERENCES refresh_tokens(id) ON DELETE SET NULL,
  expires_at timestamptz NOT NULL,
  rotated_at timestamptz,
  revoked_at timestamptz,
  user_agent text,
  ip text,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);

CREATE TABLE llm_configs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  mode text NOT NULL CHECK (mode IN ('rag', 'assistant_summary', 'assistant_writing', 'assistant_translate', 'notebook')),
  name text NOT NULL,
  provider text NOT NULL CHECK (provider IN ('offline', 'openai', 'azure_openai', 'anthropic', 'google', 'openai_compatible')),
  model text NOT NULL,
  base_url text,
  api_key_env text,
  temperature real NOT NULL DEFAULT 0.2 CHECK (temperature >= 0 AND temperature <= 2),
  max_tokens integer NOT NULL DEFAULT 1024 CHECK (max_tokens > 0),
  options jsonb NOT NULL DEFAULT '{}'::jsonb,
  fallback_config_id uuid,
  is_active boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, fallback_config_id) REFERENCES llm_configs(tenant_id, id) ON DELETE SET NULL (fallback_config_id)
);
CREATE UNIQUE INDEX llm_configs_one_active_per_mode ON llm_configs (tenant_id, mode) WHERE is_active;

-- Price per million tokens, editable; tenant_id NULL rows are the installation's defaults.
CREATE TABLE model_prices (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,
  provider text NOT NULL,
  model text NOT NULL,
  input_usd_per_million numeric(12, 6) NOT NULL DEFAULT 0 CHECK (input_usd_per_million >= 0),
  output_usd_per_million numeric(12, 6) NOT NULL DEFAULT 0 CHECK (output_usd_per_million >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX model_prices_key ON model_prices (coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid), provider, model);

CREATE TABLE system_prompts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  mode text NOT NULL CHECK (mode IN ('rag', 'assistant_summary', 'assistant_writing', 'assistant_translate', 'notebook')),
  version integer NOT NULL CHECK (version > 0),
  content text NOT NULL,
  is_active boolean NOT NULL DEFAULT false,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, mode, version)
);
CREATE UNIQUE INDEX system_prompts_one_active_per_mode ON system_prompts (tenant_id, mode) WHERE is_active;

CREATE TABLE datasets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name),
  UNIQUE (tenant_id, id)
);

-- A configured assistant (seed 003): mode, prompt, datasets, guardrails.
CREATE TABLE bots (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name text NOT NULL,
  mode text NOT NULL DEFAULT 'rag' CHECK (mode IN ('rag', 'assistant')),
  system_prompt text,
  llm_config_id uuid,
  guardrails jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, llm_config_id) REFERENCES llm_configs(tenant_id, id) ON DELETE SET NULL (llm_config_id)
);

CREATE TABLE bot_datasets (
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  bot_id uuid NOT NULL,
  dataset_id uuid NOT NULL,
  PRIMARY KEY (bot_id, dataset_id),
  FOREIGN KEY (tenant_id, bot_id) REFERENCES bots(tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, dataset_id) REFERENCES datasets(tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name text NOT NULL,
  prefix text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  scopes text[] NOT NULL DEFAULT '{}',
  bot_id uuid,
  rate_limit_per_minute integer CHECK (rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0),
  created_by uuid,
  last_used_at timestamptz,
  expires_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, bot_id) REFERENCES bots(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX api_keys_prefix_idx ON api_keys (prefix);

CREATE TABLE sources (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('upload', 'folder', 'url', 'sharepoint', 'demo', 'notebook')),
  name text NOT NULL,
  config jsonb NOT NULL DEFAULT '{}'::jsonb,
  department_ids uuid[] NOT NULL DEFAULT '{}',
  region_ids uuid[] NOT NULL DEFAULT '{}',
  dataset_id uuid,
  delta_token text,
  schedule text,
  is_active boolean NOT NULL DEFAULT true,
  last_sync_started_at timestamptz,
  last_sync_finished_at timestamptz,
  last_sync_status text CHECK (last_sync_status IN ('running', 'succeeded', 'failed')),
  last_sync_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, dataset_id) REFERENCES datasets(tenant_id, id) ON DELETE SET NULL (dataset_id)
);

CREATE TABLE notebook_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  title text NOT NULL DEFAULT 'Untitled notebook',
  is_pinned boolean NOT NULL DEFAULT false,
  expires_at timestamptz NOT NULL DEFAULT now() + interval '24 hours',
  total_size_bytes bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX notebook_sessions_expiry_idx ON notebook_sessions (expires_at) WHERE NOT is_pinned;

-- Access scope: empty department_ids and region_ids = everyone in the tenant (DESIGN.md §5).
-- Notebook documents belong to one session and are visible to its owner only.
CREATE TABLE documents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  source_id uuid,
  source_item_id text,
  dataset_id uuid,
  notebook_session_id uuid,
  title text NOT NULL,
  url text,
  mime_type text,
  size_bytes bigint,
  content_hash text,
  last_modified_at timestamptz,
  department_ids uuid[] NOT NULL DEFAULT '{}',
  region_ids uuid[] NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'ready', 'failed')),
  error text,
  is_active boolean NOT NULL DEFAULT false,
  chunk_count integer NOT NULL DEFAULT 0,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, source_id) REFERENCES sources(tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, dataset_id) REFERENCES datasets(tenant_id, id) ON DELETE SET NULL (dataset_id),
  FOREIGN KEY (tenant_id, notebook_session_id) REFERENCES notebook_sessions(tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX documents_source_item_key ON documents (tenant_id, source_id, source_item_id)
  WHERE source_id IS NOT NULL AND source_item_id IS NOT NULL;
CREATE INDEX documents_tenant_active_idx ON documents (tenant_id) WHERE is_active;
CREATE INDEX documents_department_ids_idx ON documents USING gin (department_ids);
CREATE INDEX documents_region_ids_idx ON documents USING gin (region_ids);

CREATE TABLE notebook_files (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  session_id uuid NOT NULL,
  document_id uuid,
  filename text NOT NULL,
  mime_type text,
  size_bytes bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, session_id) REFERENCES notebook_sessions(tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, document_id) REFERENCES documents(tenant_id, id) ON DELETE CASCADE
);

-- Passages. Full-text vector always (fallback lexical path); BM25 index and embedding
-- column are added by 0002 when the server has pg_textsearch / pgvector.
CREATE TABLE chunks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  document_id uuid NOT NULL,
  ordinal integer NOT NULL CHECK (ordinal >= 0),
  text text NOT NULL,
  page integer,
  section text,
  token_count integer NOT NULL DEFAULT 0,
  tsv tsvector,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (document_id, ordinal),
  FOREIGN KEY (tenant_id, document_id) REFERENCES documents(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX chunks_tenant_document_idx ON chunks (tenant_id, document_id);
CREATE INDEX chunks_tsv_idx ON chunks USING gin (tsv);

CREATE TABLE conversations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  user_id uuid,
  api_key_id uuid,
  bot_id uuid,
  notebook_session_id uuid,
  mode text NOT NULL CHECK (mode IN ('rag', 'assistant', 'notebook')),
  title text NOT NULL DEFAULT 'New conversation',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  CHECK (user_id IS NOT NULL OR api_key_id IS NOT NULL),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, api_key_id) REFERENCES api_keys(tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, notebook_session_id) REFERENCES notebook_sessions(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX conversations_user_idx ON conversations (tenant_id, user_id, updated_at DESC);

CREATE TABLE messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  conversation_id uuid NOT NULL,
  role text NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
  content text NOT NULL,
  citations jsonb NOT NULL DEFAULT '[]'::jsonb,
  status text NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'partial', 'error')),
  error text,
  input_tokens integer,
  output_tokens integer,
  provider text,
  model text,
  cost_usd numeric(14, 8),
  latency_ms integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, created_at);
CREATE INDEX messages_usage_idx ON messages (tenant_id, created_at) WHERE role = 'assistant';

CREATE TABLE feedback (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  message_id uuid NOT NULL,
  user_id uuid,
  rating smallint NOT NULL CHECK (rating IN (-1, 1)),
  comment text,
  sources_snapshot jsonb NOT NULL DEFAULT '[]'::jsonb,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'reviewed', 'resolved')),
  reviewer_id uuid,
  reviewed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (message_id, user_id),
  FOREIGN KEY (tenant_id, message_id) REFERENCES messages(tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,
  actor_user_id uuid,
  actor_api_key_id uuid,
  action text NOT NULL,
  target_type text,
  target_id text,
  before jsonb,
  after jsonb,
  ip text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_time_idx ON audit_log (tenant_id, created_at DESC);
