import type { ColumnType, Generated } from 'kysely';

/**
 * Kysely table types mirroring migrations/*.sql. Keep in step with the migrations:
 * test/database.test.ts compares these column lists with the live schema.
 */

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** jsonb: read as parsed JSON, written as a JSON string (identical on pg and PGlite). */
type Json<T = unknown> = ColumnType<T, string | undefined, string>;
type NullableJson<T = unknown> = ColumnType<T | null, string | null | undefined, string | null>;
type UuidArray = ColumnType<string[], string[] | undefined, string[]>;
type Defaulted<T> = ColumnType<T, T | undefined, T>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

export type Role = 'super_admin' | 'content_manager' | 'user';
export type LlmMode = 'rag' | 'assistant_summary' | 'assistant_writing' | 'assistant_translate' | 'notebook';
export type LlmProvider =
  | 'offline'
  | 'openai'
  | 'azure_openai'
  | 'anthropic'
  | 'google'
  | 'openai_compatible';
export type ConversationMode = 'rag' | 'assistant' | 'notebook';

export interface TenantsTable {
  id: Generated<string>;
  slug: string;
  name: string;
  settings: Json<Record<string, unknown>>;
  created_at: CreatedAt;
}

export interface SystemStateTable {
  key: string;
  value: Json;
  updated_at: DefaultedTimestamp;
}

export interface RegionsTable {
  id: Generated<string>;
  tenant_id: string;
  code: string;
  name: string;
  created_at: CreatedAt;
}

export interface DepartmentsTable {
  id: Generated<string>;
  tenant_id: string;
  region_id: string;
  code: string;
  name: string;
  created_at: CreatedAt;
}

export interface UsersTable {
  id: Generated<string>;
  tenant_id: string;
  email: string;
  display_name: Defaulted<string>;
  role: Defaulted<Role>;
  department_id: Nullable<string>;
  is_active: Defaulted<boolean>;
  totp_secret: Nullable<string>;
  totp_enabled_at: NullableTimestamp;
  failed_login_count: Defaulted<number>;
  locked_until: NullableTimestamp;
  last_login_at: NullableTimestamp;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface IdentitiesTable {
  id: Generated<string>;
  tenant_id: string;
  user_id: string;
  issuer: string;
  subject: string;
  claims: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  last_seen_at: NullableTimestamp;
}

export interface PasswordHashesTable {
  user_id: string;
  tenant_id: string;
  hash: string;
  updated_at: DefaultedTimestamp;
}

export interface IdpGroupMappingsTable {
  id: Generated<string>;
  tenant_id: string;
  claim_value: string;
  department_id: string;
  created_at: CreatedAt;
}

export interface RefreshTokensTable {
  id: Generated<string>;
  tenant_id: string;
  user_id: string;
  token_hash: string;
  family_id: string;
  parent_id: Nullable<string>;
  expires_at: Timestamp;
  rotated_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  user_agent: Nullable<string>;
  ip: Nullable<string>;
  created_at: CreatedAt;
}

export interface LlmConfigsTable {
  id: Generated<string>;
  tenant_id: string;
  mode: LlmMode;
  name: string;
  provider: LlmProvider;
  model: string;
  base_url: Nullable<string>;
  api_key_env: Nullable<string>;
  temperature: Defaulted<number>;
  max_tokens: Defaulted<number>;
  options: Json<Record<string, unknown>>;
  fallback_config_id: Nullable<string>;
  is_active: Defaulted<boolean>;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface ModelPricesTable {
  id: Generated<string>;
  tenant_id: Nullable<string>;
  provider: string;
  model: string;
  input_usd_per_million: Defaulted<number>;
  output_usd_per_million: Defaulted<number>;
  updated_at: DefaultedTimestamp;
}

export interface SystemPromptsTable {
  id: Generated<string>;
  tenant_id: string;
  mode: LlmMode;
  version: number;
  content: string;
  is_active: Defaulted<boolean>;
  created_by: Nullable<string>;
  created_at: CreatedAt;
}

export interface DatasetsTable {
  id: Generated<string>;
  tenant_id: string;
  name: string;
  description: Defaulted<string>;
  created_at: CreatedAt;
}

export interface BotsTable {
  id: Generated<string>;
  tenant_id: string;
  name: string;
  mode: Defaulted<'rag' | 'assistant'>;
  system_prompt: Nullable<string>;
  llm_config_id: Nullable<string>;
  guardrails: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface BotDatasetsTable {
  tenant_id: string;
  bot_id: string;
  dataset_id: string;
}

export interface ApiKeysTable {
  id: Generated<string>;
  tenant_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  scopes: ColumnType<string[], string[] | undefined, string[]>;
  bot_id: Nullable<string>;
  rate_limit_per_minute: Nullable<number>;
  created_by: Nullable<string>;
  last_used_at: NullableTimestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  created_at: CreatedAt;
}

export interface SourcesTable {
  id: Generated<string>;
  tenant_id: string;
  kind: 'upload' | 'folder' | 'url' | 'sharepoint' | 'demo' | 'notebook';
  name: string;
  config: Json<Record<string, unknown>>;
  department_ids: UuidArray;
  region_ids: UuidArray;
  dataset_id: Nullable<string>;
  delta_token: Nullable<string>;
  schedule: Nullable<string>;
  is_active: Defaulted<boolean>;
  last_sync_started_at: NullableTimestamp;
  last_sync_finished_at: NullableTimestamp;
  last_sync_status: Nullable<'running' | 'succeeded' | 'failed'>;
  last_sync_error: Nullable<string>;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface NotebookSessionsTable {
  id: Generated<string>;
  tenant_id: string;
  user_id: string;
  title: Defaulted<string>;
  is_pinned: Defaulted<boolean>;
  expires_at: DefaultedTimestamp;
  total_size_bytes: Defaulted<number>;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface DocumentsTable {
  id: Generated<string>;
  tenant_id: string;
  source_id: Nullable<string>;
  source_item_id: Nullable<string>;
  dataset_id: Nullable<string>;
  notebook_session_id: Nullable<string>;
  title: string;
  url: Nullable<string>;
  mime_type: Nullable<string>;
  size_bytes: Nullable<number>;
  content_hash: Nullable<string>;
  last_modified_at: NullableTimestamp;
  department_ids: UuidArray;
  region_ids: UuidArray;
  status: Defaulted<'pending' | 'processing' | 'ready' | 'failed'>;
  error: Nullable<string>;
  is_active: Defaulted<boolean>;
  chunk_count: Defaulted<number>;
  /** The generation of chunks that is this document's content (0008): older or newer ones are invisible. */
  generation: Defaulted<number>;
  metadata: Json<Record<string, unknown>>;
  created_by: Nullable<string>;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface NotebookFilesTable {
  id: Generated<string>;
  tenant_id: string;
  session_id: string;
  document_id: Nullable<string>;
  filename: string;
  mime_type: Nullable<string>;
  size_bytes: Defaulted<number>;
  /** Summary and suggested questions, written after the file is indexed (0011). */
  guide: NullableJson;
  created_at: CreatedAt;
}

export interface ChunksTable {
  id: Generated<string>;
  tenant_id: string;
  document_id: string;
  ordinal: number;
  text: string;
  page: Nullable<number>;
  section: Nullable<string>;
  token_count: Defaulted<number>;
  /** Title, section path and text: what lexical retrieval indexes. */
  search_text: Defaulted<string>;
  /** Each character 4-gram of search_text once (ingestion/char-grams.ts): the second lexical field. */
  search_grams: Defaulted<string>;
  /** Generated from search_text: letter and digit runs split (nexus_word_text); the BM25 index's column. */
  search_words: ColumnType<string, never, never>;
  /** The document version this chunk belongs to (documents.generation when current). */
  generation: Defaulted<number>;
  created_at: CreatedAt;
}

export interface ChunkTermsTable {
  tenant_id: string;
  chunk_id: string;
  term: string;
  tf: number;
  dl: number;
}

export interface DocumentBlobsTable {
  document_id: string;
  tenant_id: string;
  filename: Nullable<string>;
  mime_type: Nullable<string>;
  size_bytes: number;
  content_hash: string;
  created_at: CreatedAt;
}

/** A document's original in parts of 1 MiB (0008), in order. */
export interface DocumentBlobPartsTable {
  document_id: string;
  tenant_id: string;
  part: number;
  bytes: ColumnType<Buffer, Buffer | Uint8Array, Buffer | Uint8Array>;
}

export type JobStatusValue = 'queued' | 'running' | 'succeeded' | 'failed';

export interface JobsTable {
  id: string;
  tenant_id: string;
  kind: string;
  document_id: Nullable<string>;
  status: Defaulted<JobStatusValue>;
  progress: Defaulted<number>;
  error: Nullable<string>;
  /** 1 for the first run, 2 for the first retry, … */
  attempt: Defaulted<number>;
  created_by: Nullable<string>;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

/** Sign-in failures per digest of (account, address) or address (0009). */
export interface LoginThrottlesTable {
  key: string;
  failures: Defaulted<number>;
  window_started_at: DefaultedTimestamp;
  blocked_until: NullableTimestamp;
}

/** One row per running job, beaten by its worker; a stale beat means the worker died (0008). */
export interface JobHeartbeatsTable {
  job_id: string;
  queue: string;
  worker: string;
  attempt: number;
  started_at: DefaultedTimestamp;
  beat_at: DefaultedTimestamp;
}

export interface ConversationsTable {
  id: Generated<string>;
  tenant_id: string;
  user_id: Nullable<string>;
  api_key_id: Nullable<string>;
  bot_id: Nullable<string>;
  notebook_session_id: Nullable<string>;
  mode: ConversationMode;
  title: Defaulted<string>;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface MessagesTable {
  id: Generated<string>;
  tenant_id: string;
  conversation_id: string;
  role: 'user' | 'assistant' | 'system' | 'tool';
  content: string;
  citations: Json<unknown[]>;
  status: Defaulted<'complete' | 'partial' | 'error'>;
  error: Nullable<string>;
  input_tokens: Nullable<number>;
  output_tokens: Nullable<number>;
  provider: Nullable<string>;
  model: Nullable<string>;
  cost_usd: Nullable<number>;
  latency_ms: Nullable<number>;
  created_at: CreatedAt;
}

export interface FeedbackTable {
  id: Generated<string>;
  tenant_id: string;
  message_id: string;
  user_id: Nullable<string>;
  rating: -1 | 1;
  comment: Nullable<string>;
  sources_snapshot: Json<unknown[]>;
  status: Defaulted<'pending' | 'reviewed' | 'resolved'>;
  reviewer_id: Nullable<string>;
  reviewed_at: NullableTimestamp;
  created_at: CreatedAt;
}

export interface AuditLogTable {
  id: Generated<number>;
  tenant_id: Nullable<string>;
  actor_user_id: Nullable<string>;
  actor_api_key_id: Nullable<string>;
  action: string;
  target_type: Nullable<string>;
  target_id: Nullable<string>;
  before: NullableJson;
  after: NullableJson;
  ip: Nullable<string>;
  created_at: CreatedAt;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  checksum: string;
  applied_at: CreatedAt;
}

export interface Database {
  tenants: TenantsTable;
  system_state: SystemStateTable;
  regions: RegionsTable;
  departments: DepartmentsTable;
  users: UsersTable;
  identities: IdentitiesTable;
  password_hashes: PasswordHashesTable;
  idp_group_mappings: IdpGroupMappingsTable;
  refresh_tokens: RefreshTokensTable;
  llm_configs: LlmConfigsTable;
  model_prices: ModelPricesTable;
  system_prompts: SystemPromptsTable;
  datasets: DatasetsTable;
  bots: BotsTable;
  bot_datasets: BotDatasetsTable;
  api_keys: ApiKeysTable;
  sources: SourcesTable;
  notebook_sessions: NotebookSessionsTable;
  documents: DocumentsTable;
  notebook_files: NotebookFilesTable;
  chunks: ChunksTable;
  document_blobs: DocumentBlobsTable;
  document_blob_parts: DocumentBlobPartsTable;
  chunk_terms: ChunkTermsTable;
  jobs: JobsTable;
  job_heartbeats: JobHeartbeatsTable;
  login_throttles: LoginThrottlesTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  feedback: FeedbackTable;
  audit_log: AuditLogTable;
  schema_migrations: SchemaMigrationsTable;
}
