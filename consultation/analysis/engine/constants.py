"""Every tunable number of the engine, in one place, each with the reason for its value.

None was fitted to the development or gambling sets' individual lines; where a value was compared on them,
the comment says so.
"""

# --- sentence model
# MiniLM was trained on pieces of at most 128 word pieces; consultation answers longer than that keep their
# opening, which in our experience carries the position. Longer inputs cost quadratic attention time.
MAX_TOKENS = 128
# Word pieces per forward batch: big enough for BLAS to run both cores flat out, small enough to keep the
# attention matrices (batch x 12 heads x length^2 floats) in a few megabytes.
EMBED_BATCH_TOKENS = 2048
# A process keeps up to this many vectors in memory (when the caller passes no cache) so that a re-code
# in the same process embeds nothing again (a text's two vectors are 768 floats: 50,000 texts are about 150 MB).
PROCESS_CACHE_SIZE = 50_000

# --- stance cues (stance_cues.py)
# A cue in a question ("is this really a good idea?") is weaker evidence than the same words asserted.
QUESTION_WEIGHT = 0.45
# The opening and closing sentences carry the position more often than the middle ones.
TOPIC_SENTENCE_WEIGHT = 1.15
# After "but"/"however" the writer's real view follows: the cue before it counts less, the one after more.
CONTRAST_BEFORE = 0.75
CONTRAST_AFTER = 1.3
# An evaluation ("ridiculous", "sensible") in a long sentence that names neither the proposal nor its action
# may be about something else.
EVALUATIVE_WITHOUT_TARGET = 0.45
# A negated cue ("I do not support") is slightly weaker than the plain opposite ("I oppose").
NEGATED_CUE_WEIGHT = 0.9
# "<action> it." as a command, about as strong as an explicit "I support".
IMPERATIVE_WEIGHT = 1.6
# Praise or condemnation of the proposal's object is indirect evidence; capped so one long rant does not win.
OBJECT_SENTIMENT_WEIGHT = 0.5
OBJECT_SENTIMENT_CAP = 2.0

# --- stance probabilities from cue evidence (stance.py)
# With no cue at all a response is more likely neutral than either side.
NEUTRAL_BASE = 0.5
# Each question adds to neutral (a response made of questions takes no side), up to three.
NEUTRAL_PER_QUESTION = 0.35
# Evidence for both sides is a mixed view: it moves weight to neutral.
MIXED_TO_NEUTRAL = 0.5
# Softmax temperature: one explicit cue (weight 2) gives about 0.8 to its side.
CUE_SHARPNESS = 1.4
# The learnt model's share grows as n / (n + this): with 20 codings it counts as much as the cues.
STANCE_PRIOR_STRENGTH = 20.0
# Inverse regularisation of the stance classifier: light, as TF-IDF rows and sentence vectors are unit length.
STANCE_C = 4.0
# A second stance reader on the surface of the text alone (TF-IDF word 1-2 grams and character 2-5 grams within
# words, a balanced logistic regression, light regularisation as above: not compared on our sets). It catches
# spellings and word forms the sentence vector smooths over. Its share of the stance probabilities is one of
# these, the one with the best macro-F1 over out-of-fold predictions of the coded responses (each fold's model
# fitted on the others), so the codings themselves decide whether it helps; 0 when it does not. Fitted only beside
# the sentence model: without it the main classifier already reads the words, and the reader lost there.
STANCE_WORDS_C = 10.0
STANCE_WORDS_SHARES = (0.0, 0.25, 0.5, 0.75)
# Folds for that choice; every stance needs this many codings, or the share stays 0.
STANCE_SHARE_FOLDS = 3

# --- themes (zero_shot.py, themes.py)
# Zero-shot: theme score in standard deviations above its mean over the responses; a theme is kept when it
# is within this many of the response's best theme. Chosen between 0.2 and 0.8 (all within 0.05 F1 on the
# development and gambling sets), so the value barely matters.
ZERO_SHOT_MARGIN = 0.4
# Below this many standard deviations above the mean even the best theme is left out (response off-topic).
ZERO_SHOT_FLOOR = 0.0
# Word overlap with the theme's words counts a third as much as sentence-model similarity, which knows
# synonyms; without the model it is all there is.
LEXICAL_SHARE = 0.3
# Batches smaller than this are scored against the similarity statistics of the last larger batch.
MIN_BATCH_FOR_STATISTICS = 20
# A theme's learnt classifiers count n_pos / (n_pos + this) against its zero-shot score.
THEME_PRIOR_STRENGTH = 5.0
# Logistic regression on standardised sentence vectors: strong regularisation, since a theme often has
# fewer positive examples than the vector has dimensions.
EMBEDDING_C = 0.05
# Logistic regression on word n-grams.
WORDS_C = 4.0
# Neighbours compared in the nearest-example score.
NEIGHBOURS = 3
# Calibration (CalibratedClassifierCV, 3 folds) is used once every class has this many examples. Below it the
# folds leave each model too little to learn from: with 6 it cost 0.02-0.1 macro-F1 in cross-validation on the
# development and gambling sets (120-150 responses), so small sets keep the plain (balanced) probabilities.
MIN_POSITIVES_TO_CALIBRATE = 30
CALIBRATION_FOLDS = 3
# Out-of-fold predictions to choose the decision threshold need this many coded responses.
MIN_CODED_FOR_THRESHOLD = 20
# Threshold choice: the grid, and "keep the best theme if it reaches this fraction of the threshold".
THRESHOLD_GRID = tuple(round(0.2 + 0.05 * i, 2) for i in range(13))
MIN_ONE_RATIOS = (1.0, 0.75, 0.5)
DEFAULT_THRESHOLD = 0.5

# --- reviewers' effort (active.py, quality.py)
# Usefulness of coding a response next = (uncertainty + representativeness) / 2 x novelty (active.py).
# Representativeness is the mean similarity to this many nearest fellow candidates: enough to tell a crowd
# from a pair of near-copies.
DENSITY_NEIGHBOURS = 10
# Past this many candidates the crowd is measured against a random sample of them (memory and time stay
# linear in the pool: 2,000 x 384 floats).
DENSITY_SAMPLE = 2000
# 95% intervals.
CONFIDENCE_Z = 1.96
# Bootstrap resamples for F1 and kappa intervals: 1,000 puts the 2.5% and 97.5% points within about 0.01.
BOOTSTRAP_RESAMPLES = 1000

# --- campaigns (campaigns.py)
# Two texts this alike in MiniLM's space say the same thing in nearly the same way (paraphrase pairs score
# about 0.85-0.95; two different arguments about one subject about 0.5-0.7).
PARAPHRASE_SIMILARITY = 0.92
# The reworded-copy check compares every distinct text with every other; past this many it is left to the
# word-overlap check, which scales linearly.
MAX_PARAPHRASE_TEXTS = 50_000

# --- discovery (discovery.py)
# A response is covered by the codebook when its cosine to some theme reaches this: MiniLM puts texts on one
# subject above about 0.3 and unrelated ones below about 0.15.
COVERED_SIMILARITY = 0.3
# Without the model: TF-IDF cosine with some theme's words (one shared content word in a short text is ~0.1).
COVERED_WORD_OVERLAP = 0.1
# Discovery tries at least one cluster per this many responses: themes in consultation codebooks typically
# cover 5-15% of the responses each.
CLUSTER_SIZE_HINT = 15

# Which models read a consultation's tuned sentence vectors once it has enough codings (finetune.py): the parts
# where tuning gained in cross-validation on our labelled sets (see the README's analysis section). Stance gained
# on the dev set; themes gained 0.009 micro-F1 there but lost 0.011 on another domain, so themes stay frozen.
TUNED_PARTS = ("stance",)
