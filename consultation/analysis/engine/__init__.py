"""Pure-Python text-analysis engine for consultation responses.

No Flask / SQLAlchemy / app imports: only numpy, scipy, scikit-learn and the standard library.
"""

from .campaigns import find_campaigns
from .codebook import CodebookSpec, ThemeSpec
from .discovery import discover_themes
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
]
