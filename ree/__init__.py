"""The foundation of Rare-Earth Insights: what the libraries (`ingest`, `rag`) and `eval` share.

- `ree.settings`: the one settings object (env vars and `.env`, prefix `REE_`);
- `ree.errors`: which errors a user can fix, as one line each;
- `ree.text`: sentence splitting, tokens, stemming, dates;
- `ree.index`: every Chroma, manifest and BM25 call;
- `ree.runtime`: the offline models (embedder, embedding memo, tokenizer files, LLMs).

Nothing here imports the libraries or the interfaces above it (import-linter keeps it so).
"""
