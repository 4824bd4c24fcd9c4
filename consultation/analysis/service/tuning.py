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
# A run for a few new responses places them in campaigns instead of regrouping (it reads no other texts): exact
# copies by an index lookup (at most this many copies read per text: enough to see the campaign they belong to)
# and near copies against the samples of this many largest campaigns. The next full run regroups everything.
CAMPAIGN_COPIES_LIMIT = 50
CAMPAIGN_SAMPLES_COMPARED = 200
PARALLEL_MIN_TEXTS = 4000
# Next to code: how many uncoded responses are re-scored per request (a bounded pool, so the cost does not grow
# with the consultation), how many recent codings count as "already seen", and how many candidates without a
# stored sentence vector may be embedded in the request (about a second; the rest wait for the background run).
NEXT_TO_CODE_POOL = 600
NEXT_TO_CODE_CODED_LIMIT = 2000
NEXT_TO_CODE_EMBED_LIMIT = 40
# A theme counts as "unsure" in the reason when its score is within 40% of the line from its assignment line.
NEXT_TO_CODE_UNSURE = 0.6
# Tuning the sentence model on the reviewers' codings (engine/finetune.py): from this many coded responses with
# text, and again each time they have grown by RETUNE_GROWTH (or the codebook's theme keys changed).
MIN_CODINGS_TO_TUNE = 40
RETUNE_GROWTH = 1.5
