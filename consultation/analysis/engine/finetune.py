"""Tuning the top of the sentence model on a consultation's codings, contrastively, as SetFit does.

SetFit (Tunstall et al., 2022) tunes a sentence encoder on pairs of labelled examples (cosine similarity pushed
towards 1 for pairs that share a label and towards 0 for pairs that do not), then fits a plain classifier on the
tuned vectors; with 8 to 64 examples a class it beats frozen vectors plus a classifier by a wide margin. Here:

- only the top :data:`TUNED_LAYERS` of MiniLM's six layers change; each text's token states below them are
  computed once per job (:func:`lower_states`), so a training step runs only the top layers, forward and back;
- the gradient comes from ``autograd`` over the same numpy operations as :func:`~.embedding.run_layer`;
- the tuned vector is the learning vector (the mean of the last four layers, see ``MiniLM.forward``), the one the
  classifiers read: the loss is taken on exactly the vector the heads are fitted on;
- pairs come from every two coded texts in a batch: the theme target is the overlap of their theme sets (Jaccard,
  1 when equal, 0 when disjoint); the stance target 1 for the same side, 0 for opposite sides (neutral pairs have
  none); where both are known, their mean. A label that does not vary in the codings (every response supports)
  gives no pairs, as it teaches nothing to tell apart.

The sentence vector (the last layer, frozen) stays what zero-shot themes, campaigns and discovery compare with.
:class:`TunedVectors` puts a :class:`TunedEncoder` in front of any embedding cache, so the engine's models read
tuned learning vectors without knowing it.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass

import numpy as np

from .constants import EMBED_BATCH_TOKENS
from .embedding import _LAYERS, DIMENSION, LEARNING_LAYERS, _stored, load_model, mean_pool, run_layer, text_key

TUNED_LAYERS = 2
BATCH_TEXTS = 16
LEARNING_RATE = 2e-5
# Steps grow with the codings (each step sees BATCH_TEXTS texts, so 0.5 step a coding is about eight passes over
# every text, each time paired with fifteen others), within these bounds.
STEPS_PER_CODING = 0.5
MIN_STEPS = 20
MAX_STEPS = 200
# The codings a job reads at most (the pair targets are an n x n matrix).
MAX_CODINGS = 2000
# Tuned vectors kept in memory per encoder (1.5 KB each); past this many they are dropped and recomputed on demand.
MAX_TUNED_KEPT = 50_000
# A side of the stance, or a theme, needs this many codings before its pairs are used.
MIN_PER_LABEL = 3
_GELU_A = math.sqrt(2.0 / math.pi)
_HEADS = 12
_HEAD = DIMENSION // _HEADS

Progress = Callable[[int, int], None]


@dataclass
class Lower:
    """One text below the tuned layers: its token states, and the sum of its pooled frozen learning layers."""

    states: np.ndarray
    frozen: np.ndarray


def _first_tuned(layers: int) -> int:
    return _LAYERS - layers


def lower_states(texts: Sequence[str], layers: int = TUNED_LAYERS) -> list[Lower]:
    """Each text run through the frozen layers below the top ``layers``, in batches of similar length."""
    model = load_model()
    ids = model.token_ids(texts)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out: list[Lower | None] = [None] * len(ids)
    start = 0
    while start < len(order):
        size = max(1, EMBED_BATCH_TOKENS // max(1, len(ids[order[min(len(order) - 1, start + 15)]])))
        chunk = order[start : start + size]
        tokens, mask = model.pad([ids[i] for i in chunk])
        x = model.embed_tokens(tokens)
        frozen = np.zeros((len(chunk), DIMENSION), dtype=np.float32)
        for index in range(_first_tuned(layers)):
            x = model.layer(index, x, mask)
            if index + 1 > _LAYERS - LEARNING_LAYERS:
                frozen += mean_pool(x, mask)
        for row, i in enumerate(chunk):
            out[i] = Lower(np.ascontiguousarray(x[row, : len(ids[i])]), frozen[row])
        start += len(chunk)
    return out


def _stack(items: Sequence[Lower]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    length = max(len(item.states) for item in items)
    x = np.zeros((len(items), length, DIMENSION), dtype=np.float32)
    mask = np.zeros((len(items), length), dtype=np.float32)
    for row, item in enumerate(items):
        x[row, : len(item.states)] = item.states
        mask[row, : len(item.states)] = 1.0
    return x, mask, np.stack([item.frozen for item in items])


def _flat(weights: tuple) -> list[np.ndarray]:
    qkv, qkv_b, out_w, out_b, norm1, up_w, up_b, down_w, down_b, norm2 = weights
    return [
        np.array(a, dtype=np.float32) for a in (qkv, qkv_b, out_w, out_b, *norm1, up_w, up_b, down_w, down_b, *norm2)
    ]


def _nested(flat: Sequence[np.ndarray]) -> tuple:
    qkv, qkv_b, out_w, out_b, n1w, n1b, up_w, up_b, down_w, down_b, n2w, n2b = flat
    return (qkv, qkv_b, out_w, out_b, (n1w, n1b), up_w, up_b, down_w, down_b, (n2w, n2b))


def _differentiable_layer(p, x, bias, batch: int, length: int):
    """:func:`~.embedding.run_layer` in autograd's numpy (no in-place operations), on (tokens, 384) states."""
    import autograd.numpy as anp

    def norm(h, w, b):
        centred = h - anp.mean(h, axis=-1, keepdims=True)
        return centred / anp.sqrt(anp.mean(centred * centred, axis=-1, keepdims=True) + 1e-12) * w + b

    qkv, qkv_b, out_w, out_b, n1w, n1b, up_w, up_b, down_w, down_b, n2w, n2b = p
    h = anp.transpose(anp.reshape(anp.dot(x, qkv) + qkv_b, (batch, length, 3, _HEADS, _HEAD)), (2, 0, 3, 1, 4))
    scores = anp.matmul(h[0], anp.swapaxes(h[1], 2, 3)) * (1.0 / math.sqrt(_HEAD)) + bias
    scores = anp.exp(scores - anp.max(scores, axis=-1, keepdims=True))
    scores = scores / anp.sum(scores, axis=-1, keepdims=True)
    context = anp.reshape(anp.transpose(anp.matmul(scores, h[2]), (0, 2, 1, 3)), (batch * length, DIMENSION))
    x = norm(x + anp.dot(context, out_w) + out_b, n1w, n1b)
    up = anp.dot(x, up_w) + up_b
    up = 0.5 * up * (1.0 + anp.tanh(_GELU_A * (up + 0.044715 * up * up * up)))
    return norm(x + anp.dot(up, down_w) + down_b, n2w, n2b)


def _tuned_vectors(params, x, mask, frozen):
    """(batch, 384) unit learning vectors through the tuned layers ``params`` (autograd-traceable)."""
    import autograd.numpy as anp

    batch, length, _ = x.shape
    bias = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
    counts = np.maximum(mask.sum(axis=1, keepdims=True), 1.0)
    h = np.reshape(x, (batch * length, DIMENSION))
    learning = frozen
    for p in params:
        h = _differentiable_layer(p, h, bias, batch, length)
        pooled = anp.sum(anp.reshape(h, (batch, length, DIMENSION)) * mask[:, :, None], axis=1) / counts
        learning = learning + pooled / anp.sqrt(anp.sum(pooled * pooled, axis=1, keepdims=True) + 1e-12)
    return learning / anp.sqrt(anp.sum(learning * learning, axis=1, keepdims=True) + 1e-12)


def pair_targets(stances: Sequence[str | None], theme_sets: Sequence[Sequence[str] | None]):
    """(target, weight), both (n, n): what each pair's cosine should be, and 1 where the pair has a target."""
    n = len(stances)
    total, weight = np.zeros((n, n), dtype=np.float32), np.zeros((n, n), dtype=np.float32)
    keys = sorted({key for themes in theme_sets if themes for key in themes})
    A = np.array([[key in set(themes or ()) for key in keys] for themes in theme_sets], dtype=np.float32)
    A = A.reshape(n, len(keys))
    counts = A.sum(axis=0)
    if (counts >= MIN_PER_LABEL).sum() >= 2:
        known = np.array([themes is not None for themes in theme_sets])
        shared = A @ A.T
        union = A.sum(axis=1)[:, None] + A.sum(axis=1)[None, :] - shared
        has = (union > 0) & known[:, None] & known[None, :]
        total += np.where(has, shared / np.maximum(union, 1.0), 0.0)
        weight += has
    side = np.array([{"oppose": -1.0, "support": 1.0}.get(s or "", 0.0) for s in stances], dtype=np.float32)
    if min((side < 0).sum(), (side > 0).sum()) >= MIN_PER_LABEL:
        has = (side[:, None] != 0) & (side[None, :] != 0)
        total += np.where(has, (side[:, None] == side[None, :]).astype(np.float32), 0.0)
        weight += has
    np.fill_diagonal(weight, 0.0)
    return np.where(weight > 0, total / np.maximum(weight, 1.0), 0.0).astype(np.float32), (weight > 0).astype(
        np.float32
    )


def planned_steps(codings: int) -> int:
    return int(min(MAX_STEPS, max(MIN_STEPS, round(STEPS_PER_CODING * codings))))


@dataclass
class TunedEncoder:
    """The tuned top layers (weights in :class:`~.embedding.MiniLM`'s layout) and what they were tuned on."""

    layers: int
    weights: list[list[np.ndarray]]
    codings: int = 0
    steps: int = 0
    loss_before: float = 0.0
    loss_after: float = 0.0

    def learning_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 384) tuned unit learning vectors: frozen lower layers, then the tuned ones (plain numpy)."""
        return _top(lower_states(texts, self.layers), [_nested(w) for w in self.weights])[1]

    def to_bytes(self) -> bytes:
        """The tuned weights as float16 in a compressed ``.npz`` (about 3.5 MB a layer)."""
        arrays = {
            f"l{i}_{j}": w.astype(np.float16) for i, layer in enumerate(self.weights) for j, w in enumerate(layer)
        }
        meta = np.array([self.layers, self.codings, self.steps, self.loss_before, self.loss_after], dtype=np.float64)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, meta=meta, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> TunedEncoder:
        with np.load(io.BytesIO(blob)) as data:
            layers, codings, steps, before, after = data["meta"].tolist()
            weights = [[data[f"l{i}_{j}"].astype(np.float32) for j in range(12)] for i in range(int(layers))]
        return cls(int(layers), weights, int(codings), int(steps), before, after)


def _top(lower: Sequence[Lower], layers: Sequence[tuple]) -> tuple[np.ndarray, np.ndarray]:
    """(sentence, learning) unit vectors, each (n, 384), of texts below ``layers``, run through them."""
    sentence = np.zeros((len(lower), DIMENSION), dtype=np.float32)
    learning = np.zeros((len(lower), DIMENSION), dtype=np.float32)
    order = sorted(range(len(lower)), key=lambda i: len(lower[i].states))
    for start in range(0, len(order), 32):
        chunk = order[start : start + 32]
        x, mask, frozen = _stack([lower[i] for i in chunk])
        total = frozen.copy()
        for weights in layers:
            x = run_layer(weights, x, mask)
            total += mean_pool(x, mask)
        sentence[chunk] = mean_pool(x, mask)
        learning[chunk] = total / np.maximum(np.linalg.norm(total, axis=1, keepdims=True), 1e-12)
    return sentence, learning


def _round_trip(weights: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """The weights as they will be stored (float16), so what was measured is what is kept."""
    return [[w.astype(np.float16).astype(np.float32) for w in layer] for layer in weights]


def _adam(params, grads, state, step: int, rate: float) -> None:
    beta1, beta2 = 0.9, 0.999
    for layer, layer_grads, layer_m, layer_v in zip(params, grads, state[0], state[1], strict=True):
        for j, g in enumerate(layer_grads):
            layer_m[j] = beta1 * layer_m[j] + (1 - beta1) * g
            layer_v[j] = beta2 * layer_v[j] + (1 - beta2) * g * g
            m_hat = layer_m[j] / (1 - beta1**step)
            v_hat = layer_v[j] / (1 - beta2**step)
            layer[j] = (layer[j] - rate * m_hat / (np.sqrt(v_hat) + 1e-8)).astype(np.float32)


def tune(
    texts: Sequence[str],
    stances: Sequence[str | None],
    theme_sets: Sequence[Sequence[str] | None],
    *,
    layers: int | None = None,
    steps: int | None = None,
    batch: int = BATCH_TEXTS,
    rate: float = LEARNING_RATE,
    seed: int = 0,
    progress: Progress | None = None,
) -> TunedEncoder | None:
    """Tune the top ``layers`` on the coded ``texts``; None without the model or without pairs to learn from."""
    from autograd import value_and_grad

    model = load_model()
    layers = TUNED_LAYERS if layers is None else layers
    texts, stances, theme_sets = list(texts)[:MAX_CODINGS], list(stances)[:MAX_CODINGS], list(theme_sets)[:MAX_CODINGS]
    target, weight = pair_targets(stances, theme_sets)
    if model is None or len(texts) < 2 or weight.sum() == 0:
        return None
    steps = planned_steps(len(texts)) if steps is None else steps
    lower = lower_states(texts, layers)
    params = [_flat(model.layers[i]) for i in range(_first_tuned(layers), _LAYERS)]
    state = ([[np.zeros_like(w) for w in p] for p in params], [[np.zeros_like(w) for w in p] for p in params])

    def loss(params, x, mask, frozen, t, w):
        v = _tuned_vectors(params, x, mask, frozen)
        gap = v @ v.T - t
        return (w * gap * gap).sum() / w.sum()

    step_loss = value_and_grad(loss)
    rng = np.random.default_rng(seed)
    losses: list[float] = []
    for step in range(1, steps + 1):
        chosen = _batch(rng, weight, batch)
        x, mask, frozen = _stack([lower[i] for i in chosen])
        value, grads = step_loss(
            params, x, mask, frozen, target[np.ix_(chosen, chosen)], weight[np.ix_(chosen, chosen)]
        )
        _adam(params, grads, state, step, rate)
        losses.append(float(value))
        if progress is not None:
            progress(step, steps)
    window = max(1, steps // 5)
    return TunedEncoder(
        layers,
        _round_trip(params),
        len(texts),
        steps,
        float(np.mean(losses[:window])),
        float(np.mean(losses[-window:])),
    )


def _batch(rng: np.random.Generator, weight: np.ndarray, size: int) -> np.ndarray:
    """``size`` texts at random among those that have a pair target with some other text."""
    usable = np.where(weight.sum(axis=1) > 0)[0]
    return rng.choice(usable, size=min(size, len(usable)), replace=False)


class TunedVectors(MutableMapping):
    """An embedding cache whose learning vectors come from a :class:`TunedEncoder`.

    The stored pair (sentence vector, learning vector) of a text is the frozen pair from ``base`` (any cache the
    engine takes) with its learning half replaced by the tuned one; tuned vectors are kept here by text, so a text
    goes through the model once per encoder. Mapping reads and writes go to ``base``.
    """

    def __init__(self, encoder: TunedEncoder, base: MutableMapping | None = None):
        self.encoder = encoder
        self.base = base
        self.tuned: dict[str, np.ndarray] = {}

    def stored_pairs(self, texts: Sequence[str], progress=None) -> np.ndarray:
        texts = [t or "" for t in texts]
        keys = [text_key(t) for t in texts]
        base = self._target()
        if len(self.tuned) > MAX_TUNED_KEPT:
            self.tuned.clear()
        untuned = {k: t for k, t in zip(keys, texts, strict=True) if k not in self.tuned}
        if untuned:
            # one pass through the lower layers serves both the frozen pair (when not stored) and the tuned vector
            unstored = {k for k in untuned if base.get(k) is None}
            lower = lower_states(list(untuned.values()), self.encoder.layers)
            tuned = _top(lower, [_nested(w) for w in self.encoder.weights])[1]
            if unstored:
                rows = [i for i, k in enumerate(untuned) if k in unstored]
                model = load_model()
                top = [model.layers[i] for i in range(_first_tuned(self.encoder.layers), _LAYERS)]
                sentence, learning = _top([lower[i] for i in rows], top)
                for row, pair in zip(rows, np.hstack([sentence, learning]), strict=True):
                    base[list(untuned)[row]] = pair
            self.tuned.update(zip(untuned, tuned, strict=True))
        pairs = _stored(texts, self.base, progress).copy()
        pairs[:, DIMENSION:] = np.array([self.tuned[k] for k in keys]).reshape(len(keys), DIMENSION)
        return pairs

    def _target(self) -> MutableMapping:
        from .embedding import process_cache

        return process_cache if self.base is None else self.base

    def __getitem__(self, key):
        return self._target()[key]

    def __setitem__(self, key, value) -> None:
        self._target()[key] = value

    def __delitem__(self, key) -> None:
        del self._target()[key]

    def __iter__(self):
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())
