-- Words as the stemmed-word field reads them: a run of letters and a run of digits inside
-- one word are split apart, so "IL6", "IL-6" and "IL 6" meet, as do "Bcl2" and "BCL-2",
-- "PGE2" and "PGE-2", "CD4+" and "CD4" (the word-delimiter rule of Lucene's
-- WordDelimiterFilter, common in technical and biomedical search). Postgres' parser keeps
-- "bcl2" as one token but cuts "bcl-2" into "bcl" and "2", so without this a gene, part
-- or product code matches only when written the same way. ASCII letters and digits only,
-- so every database splits alike whatever its locale.
--
-- search_text itself is unchanged (the character grams, snippets and embeddings read it);
-- search_words, the BM25 index's column, is generated from it. Queries go through the same
-- function (retrieval.service.ts).
--
-- The tsv column and its GIN index go: nothing searched them, and only the fallback's
-- postings (0005) read them, so every chunk paid a stemming pass and a GIN update even
-- where pg_textsearch does the work. The postings trigger now stems search_words itself.

CREATE FUNCTION nexus_word_text(input text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT regexp_replace(regexp_replace(input, '([A-Za-z])([0-9])', '\1 \2', 'g'), '([0-9])([A-Za-z])', '\1 \2', 'g')
$$;

ALTER TABLE chunks ADD COLUMN search_words text GENERATED ALWAYS AS (nexus_word_text(search_text)) STORED;
ALTER TABLE chunks DROP COLUMN tsv;

CREATE OR REPLACE FUNCTION chunk_terms_index() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM chunk_terms WHERE chunk_id = NEW.id;
  INSERT INTO chunk_terms (tenant_id, chunk_id, term, tf, dl)
    SELECT NEW.tenant_id, NEW.id, entry.lexeme, greatest(cardinality(entry.positions), 1), greatest(NEW.token_count, 1)
    FROM unnest(to_tsvector('english', NEW.search_words)) AS entry(lexeme, positions, weights);
  RETURN NULL;
END
$$;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'chunks_search_bm25_idx') THEN
    EXECUTE 'DROP INDEX chunks_search_bm25_idx';
    EXECUTE 'CREATE INDEX chunks_search_bm25_idx ON chunks USING bm25 (search_words) WITH (text_config = ''english'')';
  ELSE
    -- The fallback's postings, rebuilt from the split words.
    DELETE FROM chunk_terms;
    INSERT INTO chunk_terms (tenant_id, chunk_id, term, tf, dl)
      SELECT chunks.tenant_id, chunks.id, entry.lexeme, greatest(cardinality(entry.positions), 1), greatest(chunks.token_count, 1)
      FROM chunks, unnest(to_tsvector('english', chunks.search_words)) AS entry(lexeme, positions, weights);
  END IF;
END
$$;
