"""The pipeline's settings, in one module so a test (or a deployment) can change them in one place.

Modules read them as `tuning.NAME` at call time, never copy them at import.
"""

BATCH_SIZE = 5000
# Bump when the way the pipeline uses the engine changes, so every response is re-coded once.
PIPELINE_GENERATION = "1"
MIN_TEXT_FIELD_LENGTH = 50
REVIEWER_WEIGHT = 3.0
# The agreement signal is used once at least MIN_SIGNAL responses carry it, and grows in steps of SIGNAL_GROWTH
# (so the model is not refitted for every new response), up to MAX_SIGNAL responses, the earliest first.
MIN_SIGNAL = 20
SIGNAL_GROWTH = 1.5
MAX_SIGNAL = 5000
# Texts of fewer words are too short to call a template letter ("Keep it open." is not a campaign).
MIN_CAMPAIGN_WORDS = 6
CAMPAIGN_THRESHOLD = 0.85
# Runs for a few responses (after intake) regroup campaigns only in consultations up to this size; larger
# consultations regroup on the next full run (`flask analyse`), which always does it when anything changed.
CAMPAIGN_INLINE_LIMIT = 5000
PARALLEL_MIN_TEXTS = 4000
