-- Character 4-grams: a second lexical field beside the stemmed words. Every word of the
-- search text (title, section, chunk) is lower-cased and cut into the overlapping
-- 4-character pieces of `_word_` (`_` marks the word's edges), so a query still meets a
-- passage through inflections the stemmer misses, compounds, spelling variants, typos,
-- identifiers and other languages (McNamee & Mayfield, "Character N-Gram Tokenization
-- for European Language Text Retrieval", 2004). Retrieval fuses the two BM25 scores.
--
-- search_grams holds each gram of the chunk once, written by the application
-- (retrieval/char-grams.ts) as one parser-safe token: `b` + the first three letters
-- (`_imm`), `m` + four inner letters, `e` + the last three (`ity_`), `w` + a word of
-- one or two letters. Its index answers one question: in how many chunks does a gram
-- occur? Counts within a chunk come from the candidates' own text at query time.

ALTER TABLE chunks ADD COLUMN search_grams text NOT NULL DEFAULT '';

-- The same grams in SQL, for chunks stored before this migration.
CREATE FUNCTION nexus_char_grams(input text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT coalesce(string_agg(DISTINCT
           CASE
             WHEN length(word) <= 2 THEN 'w' || word
             WHEN i = 1 THEN 'b' || substr(word, 1, 3)
             WHEN i = length(word) - 1 THEN 'e' || substr(word, i - 1, 3)
             ELSE 'm' || substr(word, i - 1, 4)
           END, ' '), '')
  FROM regexp_split_to_table(lower(input), '[^[:alnum:]]+') AS word
  CROSS JOIN LATERAL generate_series(1, greatest(length(word) - 1, 1)) AS i
  WHERE word <> ''
$$;

UPDATE chunks SET search_grams = nexus_char_grams(search_text) WHERE search_text <> '';

-- With pg_textsearch, a BM25 index over the grams gives each gram's document frequency
-- (its score against itself is its idf times a constant). Without it, grams are weighted
-- by their frequency among the word ranking's candidates, and no index is needed.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'chunks_search_bm25_idx') THEN
    EXECUTE 'CREATE INDEX chunks_grams_bm25_idx ON chunks USING bm25 (search_grams) WITH (text_config = ''simple'')';
  END IF;
END
$$;
