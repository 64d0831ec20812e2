"""Which of the paper network's ReLU units are dead on defend_the_center's screens, layer by layer,
for trained checkpoints and for a fresh orthogonal initialisation.

The screens come from random play (frame skip 4, grey, box-resized to 84x84, stacked by 4, as the
frame pipeline makes them, to within rounding); a unit is dead when its pre-activation is never
positive over all of them (a filter: at no position). For the fully connected layer it also
prints each unit's weight norm: units that were never active keep the norm they started with.

    .venv/bin/python benchmarks/defend_the_center/dead_units.py 400 RUN/checkpoints/latest.safetensors ...
"""
import json
import struct
import sys

import gymnasium as gym
import numpy as np
from PIL import Image
from vizdoom import gymnasium_wrapper  # noqa: F401  (registers the Vizdoom ids)


def load(path):
    """The tensors of a checkpoint (safetensors: a little-endian header length, JSON, raw data)."""
    data = open(path, "rb").read()
    length = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + length])
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[8 + length + start:8 + length + end], dtype=np.float32).reshape(entry["shape"])
    return tensors


def grey(observation):
    """The screen as the network sees it: grey levels box-resized to 84x84, in [0, 1]."""
    rgb = observation["screen"].astype(np.float32)
    level = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    small = Image.fromarray(np.round(level).astype(np.uint8)).resize((84, 84), Image.BOX)
    return np.asarray(small, dtype=np.float32) / 255


def screens(count, seed=0):
    env = gym.make("VizdoomDefendCenter-v1", frame_skip=4)
    observation, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    stack, out = [grey(observation)] * 4, []
    while len(out) < count:
        observation, _, terminated, truncated, _ = env.step(int(rng.integers(0, env.action_space.n)))
        if terminated or truncated:
            observation, _ = env.reset()
            stack = [grey(observation)] * 4
        stack = stack[1:] + [grey(observation)]
        out.append(np.stack(stack, axis=-1))
    return np.array(out)


def conv(x, weight, bias, stride):
    """x: N,H,W,C; weight: O,kh,kw,C (the checkpoint's layout)."""
    n, height, width, _ = x.shape
    filters, kh, kw, _ = weight.shape
    oh, ow = (height - kh) // stride + 1, (width - kw) // stride + 1
    patches = np.empty((n, oh, ow, kh, kw, x.shape[3]), np.float32)
    for i in range(kh):
        for j in range(kw):
            patches[:, :, :, i, j, :] = x[:, i:i + stride * oh:stride, j:j + stride * ow:stride, :]
    return patches.reshape(n, oh, ow, -1) @ weight.reshape(filters, -1).T + bias


def trunk(p, x):
    """The paper network's three pre-activations (conv1, conv2, fully connected) for screens x."""
    h1 = conv(x, p["network.0.weight"], p["network.0.bias"], 4)
    h2 = conv(np.maximum(h1, 0), p["network.2.weight"], p["network.2.bias"], 2)
    h3 = np.maximum(h2, 0).reshape(len(x), -1) @ p["network.5.weight"].T + p["network.5.bias"]
    return h1, h2, h3


def report(name, p, x):
    h1, h2, h3 = trunk(p, x)
    dead = h3.max(0) <= 0
    norms = np.linalg.norm(p["network.5.weight"], axis=1)
    print(f"{name}: dead conv1 {np.mean(h1.max(axis=(0, 1, 2)) <= 0):.2f}, conv2 {np.mean(h2.max(axis=(0, 1, 2)) <= 0):.2f}, "
          f"fc {dead.mean():.2f}; fc units active per screen {np.mean((h3 > 0).sum(1)):.0f} of {h3.shape[1]}; "
          f"fc weight norm, dead {np.median(norms[dead]) if dead.any() else float('nan'):.2f}, "
          f"live {np.median(norms[~dead]):.2f}")


def initial(seed=1):
    """Orthogonal weights with gain sqrt(2) and zero biases, as the model initialises its trunk."""
    rng = np.random.default_rng(seed)

    def orthogonal(rows, columns):
        q, r = np.linalg.qr(rng.standard_normal((max(rows, columns), min(rows, columns))))
        q = q * np.sign(np.diag(r))
        q = q if rows >= columns else q.T
        return (np.sqrt(2) * q[:rows, :columns]).astype(np.float32)

    return {"network.0.weight": orthogonal(16, 256).reshape(16, 8, 8, 4), "network.0.bias": np.zeros(16, np.float32),
            "network.2.weight": orthogonal(32, 256).reshape(32, 4, 4, 16), "network.2.bias": np.zeros(32, np.float32),
            "network.5.weight": orthogonal(256, 2592), "network.5.bias": np.zeros(256, np.float32)}


if __name__ == "__main__":
    x = screens(int(sys.argv[1]))
    print(f"{len(x)} screens: pixel mean {x.mean():.3f}, deviation of a pixel across screens {x.std(0).mean():.3f}")
    report("orthogonal initialisation", initial(), x)
    for path in sys.argv[2:]:
        report(path, load(path), x)
