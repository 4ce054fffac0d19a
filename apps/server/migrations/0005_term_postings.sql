-- Postings for the BM25 fallback (databases without pg_textsearch): one row per chunk and
-- lexeme with its term frequency and the chunk's length, kept in step with chunks by a
-- trigger. Scoring then reads only the postings of the query's terms instead of every
-- matching chunk's whole tsvector. With pg_textsearch the BM25 index does this job, so
-- the table stays empty and no trigger is created.

CREATE TABLE chunk_terms (
  tenant_id uuid NOT NULL,
  chunk_id uuid NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
  term text NOT NULL,
  tf integer NOT NULL,
  dl integer NOT NULL,
  PRIMARY KEY (chunk_id, term)
);
CREATE INDEX chunk_terms_tenant_term_idx ON chunk_terms (tenant_id, term) INCLUDE (chunk_id, tf, dl);

ALTER TABLE chunk_terms ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON chunk_terms
  USING (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);

CREATE FUNCTION chunk_terms_index() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM chunk_terms WHERE chunk_id = NEW.id;
  INSERT INTO chunk_terms (tenant_id, chunk_id, term, tf, dl)
    SELECT NEW.tenant_id, NEW.id, entry.lexeme, greatest(cardinality(entry.positions), 1), greatest(NEW.token_count, 1)
    FROM unnest(NEW.tsv) AS entry(lexeme, positions, weights);
  RETURN NULL;
END
$$;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'chunks_search_bm25_idx') THEN
    EXECUTE 'CREATE TRIGGER chunk_terms_sync AFTER INSERT OR UPDATE OF search_text, token_count ON chunks
             FOR EACH ROW EXECUTE FUNCTION chunk_terms_index()';
    INSERT INTO chunk_terms (tenant_id, chunk_id, term, tf, dl)
      SELECT chunks.tenant_id, chunks.id, entry.lexeme, greatest(cardinality(entry.positions), 1), greatest(chunks.token_count, 1)
      FROM chunks, unnest(chunks.tsv) AS entry(lexeme, positions, weights);
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nexus_tenant') THEN
    EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON chunk_terms TO nexus_tenant';
  END IF;
END
$$;
