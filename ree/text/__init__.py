"""Text utilities shared by ingest, rag and eval: one of each, so that they agree.

- `split_sentences` (and `MARKER_RE`, the citation markers it keeps with their sentence) and
  `without_lead` (a document unit without its list marker and "Label:" lead);
- `tokenize` (BM25 words) and `stem` (verification's word comparison);
- `count_tokens` (cl100k, the unit of every token budget);
- `normalize_date`, `date_to_int`, `MONTH_NAMES`, `YEAR_RE`, `YEAR_SPAN_RE` (the many
  ways documents write dates, a year standing alone, a span of years).
"""

from ree.text.dates import MONTH_NAMES, YEAR_RE, YEAR_SPAN_RE, date_to_int, normalize_date
from ree.text.sentences import MARKER_RE, split_sentences, without_lead
from ree.text.tokens import count_tokens
from ree.text.words import stem, tokenize

__all__ = [
    "MARKER_RE",
    "MONTH_NAMES",
    "YEAR_RE",
    "YEAR_SPAN_RE",
    "count_tokens",
    "date_to_int",
    "normalize_date",
    "split_sentences",
    "stem",
    "tokenize",
    "without_lead",
]
