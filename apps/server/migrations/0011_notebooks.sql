-- Notebook mode: a file's guide (summary and suggested questions, written after it is
-- indexed), and row-level security on the notebook tables as on documents and chunks.
-- Owner checks (a session is its user's alone) are in every notebook query's SQL; one
-- conversation per session.
ALTER TABLE notebook_files ADD COLUMN guide jsonb;
CREATE INDEX notebook_files_session_idx ON notebook_files (tenant_id, session_id);
CREATE INDEX notebook_sessions_user_idx ON notebook_sessions (tenant_id, user_id, created_at DESC);
CREATE INDEX documents_notebook_session_idx ON documents (tenant_id, notebook_session_id)
  WHERE notebook_session_id IS NOT NULL;
CREATE UNIQUE INDEX conversations_notebook_session_key ON conversations (tenant_id, notebook_session_id)
  WHERE notebook_session_id IS NOT NULL;

ALTER TABLE notebook_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE notebook_files ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notebook_sessions
  USING (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON notebook_files
  USING (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
