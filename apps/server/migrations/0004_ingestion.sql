-- Ingestion: the text retrieval indexes (title and section headings included), stored
-- originals, and tenant-visible job tracking with progress.

-- What lexical retrieval indexes: document title, section heading path and chunk text.
ALTER TABLE chunks ADD COLUMN search_text text NOT NULL DEFAULT '';
ALTER TABLE chunks DROP COLUMN tsv;
ALTER TABLE chunks ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', search_text)) STORED;
CREATE INDEX chunks_tsv_idx ON chunks USING gin (tsv);

-- The original file of each document (uploads, folders, URLs), kept for re-ingestion and download.
CREATE TABLE document_blobs (
  document_id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  filename text,
  mime_type text,
  size_bytes bigint NOT NULL,
  content_hash text NOT NULL,
  bytes bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, document_id) REFERENCES documents(tenant_id, id) ON DELETE CASCADE
);

-- Jobs as tenants see them (GET /api/v1/jobs/:id); the queue itself is pg-boss.
CREATE TABLE jobs (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind text NOT NULL,
  document_id uuid,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  progress real NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
  error text,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_document_idx ON jobs (document_id);

ALTER TABLE document_blobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON document_blobs
  USING (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'chunks_text_bm25_idx') THEN
    EXECUTE 'DROP INDEX chunks_text_bm25_idx';
    EXECUTE 'CREATE INDEX chunks_search_bm25_idx ON chunks USING bm25 (search_text) WITH (text_config = ''english'')';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nexus_tenant') THEN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON document_blobs, jobs TO nexus_tenant');
  END IF;
END
$$;
