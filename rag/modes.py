"""Which answer style a question asks for: a brief answer or In-Depth Insights.

"What was Australia's 2024 mine production?" wants a figure and its source; "What does the price
floor mean for Western magnet makers?" wants analysis: the strategic implications, the long-term
impact on the market, what investors should weigh. `resolve_mode("auto", question)` picks insights
for questions that ask for implications, outlook, impact, risks or "what does it mean", and brief
for the rest; the UI and `ree ask` show the choice and let the user override it.

Deliberately rules, not a model call: the choice must be instant (it decides what to retrieve) and
explainable ("asks for implications").
"""

from __future__ import annotations

import re

MODES = ("brief", "insights")
CHOICES = ("auto", *MODES)

_INSIGHT_CUES = (
    (r"\bimplications?\b|\bimpl(?:y|ies)\b", "asks for implications"),
    (
        r"\bwhat (?:does|do|did|could|would|will|might)\b.{0,120}\b(?:mean|signal)\b"
        r"|\b(?:means?|signals?) for\b",
        "asks what it means",
    ),
    (
        r"\boutlook\b|\bprospects?\b|\bgoing forward\b"
        r"|\b(?:in|over) the (?:coming|next) (?:years|decade)\b|\bholds? (?:it|them) back\b",
        "asks for the outlook",
    ),
    (r"\bimpacts?\b|\baffect(?:s|ed)?\b|\bconsequences?\b|\bknock-on\b", "asks for the impact"),
    (r"\brisks?\b|\bopportunit(?:y|ies)\b|\bvulnerab|\bworr(?:y|ies)\b", "asks about risks"),
    (
        r"\bstrateg(?:y|ic|ically)\b|\bsignifican(?:t|ce)\b|\bwhy (?:does|do|did) .{0,80}\bmatter\b",
        "asks why it matters",
    ),
    (
        r"\bshould (?:investors?|buyers?|analysts?|we|companies|manufacturers)\b|\bhow should\b",
        "asks what to weigh",
    ),
    (r"\blong[- ]term\b|\bwhat to watch\b|\bassess\b|\bevaluate\b", "asks for an assessment"),
)
_CUES = [(re.compile(p, re.IGNORECASE), why) for p, why in _INSIGHT_CUES]
#: A question opening like this asks for a fact, whatever words follow ("Which secretary had to
#: assess risks ...?"), unless it asks what something means or implies.
_FACTUAL_OPENING = re.compile(
    r",\s*(?:who|which)\b|^\s*(?:who|whom|which|when|where|how (?:much|many|large|long|soon)|in what year|"
    r"what (?:year|date|share|percent\w*|price|amount|value|tonnage|number))\b",
    re.IGNORECASE,
)
_STRONG = frozenset({"asks for implications", "asks what it means"})


def resolve_mode(mode: str, question: str) -> tuple[str, str]:
    """(the mode to answer in, why): `mode` itself unless it is "auto"."""
    if mode not in CHOICES:
        raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(CHOICES)}")
    if mode != "auto":
        return mode, "chosen"
    factual = bool(_FACTUAL_OPENING.search(question))
    for pattern, why in _CUES:
        if pattern.search(question) and (not factual or why in _STRONG):
            return "insights", why
    return "brief", "asks for facts"
