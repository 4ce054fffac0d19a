-- Optional search capabilities. pgvector and pg_textsearch are used when the server
-- has them; on a Postgres without them (e.g. a stock Postgres 15) this migration
-- still succeeds and Nexus falls back to full-text search with no dense retrieval.
-- EXECUTE keeps statements that name the extensions' types and access methods from
-- being resolved when the extension is absent; each block rolls back on its own if
-- the extension is listed but cannot be created (e.g. not in shared_preload_libraries).

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    BEGIN
      EXECUTE 'CREATE EXTENSION IF NOT EXISTS vector';
      -- Dimensions depend on the embedding model configured later; the model name is kept beside it.
      EXECUTE 'ALTER TABLE chunks ADD COLUMN IF NOT EXISTS embedding vector';
      EXECUTE 'ALTER TABLE chunks ADD COLUMN IF NOT EXISTS embedding_model text';
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'pgvector is listed but could not be enabled: %', SQLERRM;
    END;
  END IF;

  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_textsearch') THEN
    BEGIN
      EXECUTE 'CREATE EXTENSION IF NOT EXISTS pg_textsearch';
      EXECUTE 'CREATE INDEX IF NOT EXISTS chunks_text_bm25_idx ON chunks USING bm25 (text) WITH (text_config = ''english'')';
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'pg_textsearch is listed but could not be enabled: %', SQLERRM;
    END;
  END IF;
END
$$;
