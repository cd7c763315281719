"""The GENER network: a CNN on the stacked expression of two genes beside a feed-forward
network on their element-wise product, fused late into one softmax classifier.

Built with the Keras functional API, top to bottom, so the layer list reads like the paper's
figure. Conv2D uses `padding="valid"`: the first 2x2 kernel covers both genes at two
consecutive samples, so a 2 x L image becomes 1 x (L-1) and every filter output mixes the
two genes (with "same" padding half the rows would convolve one gene against zeros). The
convolutions use ReLU like the dense layers: the seed's are linear (`gener.paper_mode`), and
without an activation the two convolutions collapse into one linear map.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from grnflow.gener_layers import BitDropout, FusedBatchNormalization
from grnflow.settings import effective

# Class names of the two output modes; the ranking score is the probability of class 1.
CLASS_NAMES = {
    "binary": ["no_edge", "edge"],
    "direction": ["no_edge", "a_to_b", "b_to_a"],
}


def build_model(
    n_samples: int,
    classes: str,
    ff_units: Sequence[int],
    conv_filters: Sequence[int],
    conv_dense: int,
    dropout: float,
    conv_activation: str | None = "relu",
    bn_momentum: float = 0.99,
) -> keras.Model:
    """The GENER classifier for expression vectors of length `n_samples` (inputs `a`, `b`).

    `conv_activation` None gives the seed's linear convolutions; `bn_momentum` is the moving
    average momentum of every BatchNormalization (Keras' default 0.99; the seed 0.9)."""
    if classes not in CLASS_NAMES:
        raise ValueError(f"classes must be one of {', '.join(CLASS_NAMES)}, not {classes!r}")
    if n_samples < 2:
        raise ValueError(f"GENER needs at least 2 samples per gene, got {n_samples}")
    a = keras.Input(shape=(n_samples,), name="a")
    b = keras.Input(shape=(n_samples,), name="b")

    # Feed-forward branch on the element-wise product a * b.
    x = layers.Multiply(name="product")([a, b])
    for i, units in enumerate(ff_units, start=1):
        x = layers.Dense(units, activation="relu", name=f"ff_dense{i}")(x)
        x = FusedBatchNormalization(momentum=bn_momentum, name=f"ff_bn{i}")(x)
        x = BitDropout(dropout, name=f"ff_dropout{i}")(x)

    # CNN branch on the pair stacked as a 2 x L x 1 image: a 2x2 kernel, then 1x1 kernels.
    row_a = layers.Reshape((1, n_samples, 1), name="row_a")(a)
    row_b = layers.Reshape((1, n_samples, 1), name="row_b")(b)
    y = layers.Concatenate(axis=1, name="stack")([row_a, row_b])
    for i, filters in enumerate(conv_filters, start=1):
        kernel = (2, 2) if i == 1 else (1, 1)
        y = layers.Conv2D(filters, kernel, padding="valid", activation=conv_activation, name=f"conv{i}")(y)
        y = FusedBatchNormalization(momentum=bn_momentum, name=f"conv_bn{i}")(y)
        y = BitDropout(dropout, name=f"conv_dropout{i}")(y)
    y = layers.Flatten(name="flatten")(y)
    y = layers.Dense(conv_dense, activation="relu", name="conv_dense")(y)
    y = FusedBatchNormalization(momentum=bn_momentum, name="conv_dense_bn")(y)
    y = BitDropout(dropout, name="conv_dense_dropout")(y)

    # Late fusion of the two branches.
    z = layers.Concatenate(name="fusion")([x, y])
    outputs = layers.Dense(len(CLASS_NAMES[classes]), activation="softmax", name="classes")(z)
    return keras.Model(inputs={"a": a, "b": b}, outputs=outputs, name=f"gener_{classes}")


def schedule(settings) -> keras.optimizers.schedules.ExponentialDecay:
    """The learning rate of `settings` (paper mode applied) as a function of the optimizer step:
    x `decay_rate` every `decay_samples` training pairs, i.e. every decay_samples / batch_size
    steps, so that a larger batch does not decay more slowly per epoch."""
    s = effective(settings)
    return keras.optimizers.schedules.ExponentialDecay(
        s.learning_rate, decay_steps=s.decay_steps, decay_rate=s.decay_rate, staircase=s.staircase
    )


def compile_model(model: keras.Model, learning_rate, steps_per_execution: int = 1) -> keras.Model:
    """SGD at `learning_rate` (a number or a schedule); sparse categorical cross-entropy on class
    ids; no compiled metrics (validation is scored once per epoch by grnflow.gener).
    `steps_per_execution` training steps run in one TensorFlow call (less Python per step)."""
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        jit_compile=False,
        steps_per_execution=steps_per_execution,
    )
    return model


MAX_STEPS_PER_EXECUTION = 8


def execution_steps(steps_per_epoch: int, cap: int = MAX_STEPS_PER_EXECUTION) -> int:
    """The largest k <= `cap` that divides `steps_per_epoch`: Keras runs steps in chunks of k,
    and a chunk must not reach into the next epoch's batches (epochs stay exactly as with 1)."""
    return max(k for k in range(1, cap + 1) if steps_per_epoch % k == 0)


# grnflow's defaults and, for `paper_mode`, the seed's (AhmedFakhry47/GENER, RGN_GUI_V4.ipynb:
# Conv2D without activation, BatchNormalization(momentum=0.9)).
CONV_ACTIVATION = {False: "relu", True: None}
BN_MOMENTUM = {False: 0.99, True: 0.9}


def from_settings(n_samples: int, settings, steps_per_execution: int = 1) -> keras.Model:
    """The compiled network of `settings` (grnflow.settings.GenerSettings; paper mode applied)."""
    s = effective(settings)
    model = build_model(
        n_samples, s.classes, s.ff_units, s.conv_filters, s.conv_dense, s.dropout,
        conv_activation=CONV_ACTIVATION[s.paper_mode], bn_momentum=BN_MOMENTUM[s.paper_mode],
    )
    return compile_model(model, schedule(s), steps_per_execution)


__all__ = ["CLASS_NAMES", "build_model", "compile_model", "execution_steps", "from_settings", "schedule"]
