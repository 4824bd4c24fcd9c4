"""Text-analysis engine for consultation responses: stance, themes, flags, campaigns, discovery.

No Flask, SQLAlchemy or app imports: numpy, scikit-learn, the standard library, and (when installed) the
packaged MiniLM sentence model run through ``tokenizers`` and ``safetensors``.

The small public face is :class:`Engine` (``code``, ``fit``, ``evaluate``); the parts stay importable for
callers that need one piece.
"""

from .campaigns import find_campaigns
from .codebook import CodebookSpec, ThemeSpec
from .discovery import discover_themes
from .embedding import embed, model_available, model_status
from .flags import detect_flags, redact
from .scoring import cross_validate, evaluate, proposal_text
from .stance import StanceModel
from .themes import ThemeModel

__all__ = [
    "CodebookSpec",
    "ThemeSpec",
    "StanceModel",
    "ThemeModel",
    "detect_flags",
    "redact",
    "find_campaigns",
    "discover_themes",
    "evaluate",
    "cross_validate",
    "proposal_text",
    "embed",
    "model_available",
    "model_status",
]
