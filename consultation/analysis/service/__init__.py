"""The analysis room's public face: other rooms import analysis through this module (and its models) only.

- `codebook`: a consultation's codebook (stance definitions and themes), edited by reviewers and admins.
- `coding`: a reviewer's coding of a response and its history; `agreement` (with `reliability`): how far the
  machine agrees with reviewers and whether to trust it; `next_to_code`: which responses to code next,
  `ranking`: that ranking worked out in the background and stored for the coding queue, `claims`: the queue's
  short hold on a response, so two reviewers never code the same one at once, and `progress`: a reviewer's
  codings so far.
- `embeddings`: sentence-model vectors stored by text hash; `status`: what the analysis can do here and has done.
- the pipeline, split along its seams: `inputs` (what is read), `fitting` (the models and their cache),
  `machine` (coding texts), `writing` (bulk writes per batch), `campaigns`, and `run` (`analyse`, the run).
"""

from consultation.analysis.engine import discover_themes, redact
from consultation.analysis.service.agreement import agreement, stance_agreement_figure
from consultation.analysis.service.claims import CLAIM_LIFETIME, claim_next, release_claim
from consultation.analysis.service.codebook import (
    DEFAULT_STANCES,
    accept_discovered_theme,
    add_theme,
    deactivate_theme,
    engine_codebook,
    find_codebook,
    get_codebook,
    load_codebook_data,
    replace_codebook,
    update_theme,
)
from consultation.analysis.service.coding import code_response, get_coding
from consultation.analysis.service.fitting import forget_models, signal_size
from consultation.analysis.service.inputs import Inputs, input_hash, load_inputs, question_plan
from consultation.analysis.service.next_to_code import next_to_code
from consultation.analysis.service.progress import coding_progress
from consultation.analysis.service.ranking import ranking_wanted
from consultation.analysis.service.run import analyse, consultations_of
from consultation.analysis.service.status import analysis_status
from consultation.analysis.service.writing import RunSummary

__all__ = [
    "CLAIM_LIFETIME",
    "claim_next",
    "release_claim",
    "DEFAULT_STANCES",
    "Inputs",
    "RunSummary",
    "accept_discovered_theme",
    "add_theme",
    "analysis_status",
    "agreement",
    "analyse",
    "code_response",
    "coding_progress",
    "consultations_of",
    "deactivate_theme",
    "discover_themes",
    "engine_codebook",
    "find_codebook",
    "forget_models",
    "get_codebook",
    "get_coding",
    "input_hash",
    "load_codebook_data",
    "load_inputs",
    "next_to_code",
    "question_plan",
    "ranking_wanted",
    "redact",
    "replace_codebook",
    "signal_size",
    "stance_agreement_figure",
    "update_theme",
]
