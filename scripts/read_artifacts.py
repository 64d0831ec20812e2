"""Reads swift-a3c's files back with the reference Python tools, for the tests.

    read_artifacts.py tensorboard RUN_DIR     scalars through TensorBoard's EventAccumulator
    read_artifacts.py safetensors FILE        tensors and metadata through the safetensors package
    read_artifacts.py gif FILE                frame count, size and first/last frame pixels through Pillow
    read_artifacts.py onnx FILE               the model run by onnxruntime on FILE.inputs.json's observations
    read_artifacts.py torchlike FILE          a checkpoint's network run the way PyTorch lays it out (NCHW
                                              convolutions on permuted weights), in NumPy, on FILE.inputs.json

Prints one JSON object on standard output.
"""
import json
import sys


def tensorboard(run_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(run_dir, size_guidance={"scalars": 0})
    accumulator.Reload()
    scalars = {}
    for tag in accumulator.Tags()["scalars"]:
        scalars[tag] = [[event.step, event.value] for event in accumulator.Scalars(tag)]
    return {"scalars": scalars}


def safetensors(path):
    from safetensors import safe_open
    from safetensors.numpy import load_file

    tensors = load_file(path)
    with safe_open(path, framework="numpy") as f:
        metadata = f.metadata()
    return {
        "metadata": metadata,
        "tensors": {
            name: {"shape": list(array.shape), "dtype": str(array.dtype), "values": array.ravel().tolist()}
            for name, array in tensors.items()
        },
    }


def gif(path):
    from PIL import Image

    image = Image.open(path)
    frames = []
    for index in (0, image.n_frames - 1):
        image.seek(index)
        frames.append(list(image.convert("RGB").tobytes()))
    return {"format": image.format, "frames": image.n_frames, "size": list(image.size), "first": frames[0], "last": frames[1]}


def onnx(path):
    import numpy as np
    import onnxruntime

    with open(path + ".inputs.json") as f:
        given = json.load(f)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    observation = np.array(given["values"], dtype=np.float32).reshape(given["shape"])
    names = [o.name for o in session.get_outputs()]
    results = session.run(None, {"observation": observation})
    out = {name: result.reshape(-1).tolist() for name, result in zip(names, results)}
    out["inputs"] = [{"name": i.name, "shape": [str(d) for d in i.shape]} for i in session.get_inputs()]
    out["outputs"] = names
    return out


def torchlike(path):
    """What the README tells PyTorch users: nn.Conv2d takes weight.permute(0, 3, 1, 2), the first
    linear layer after the convolutions takes a height-width-channel flattening; nn.Linear takes
    the weights as stored. Done in NumPy with PyTorch's conventions (NCHW, cross-correlation)."""
    import numpy as np
    from safetensors.numpy import load_file

    tensors = load_file(path)
    with open(path + ".inputs.json") as f:
        given = json.load(f)
    x = np.array(given["values"], dtype=np.float64).reshape(given["shape"])
    if x.ndim == 4:
        x = x.transpose(0, 3, 1, 2)  # NHWC observations -> NCHW, as nn.Conv2d wants
    for index, (kind, stride) in enumerate(given["layers"]):
        if kind == "conv":
            weight = tensors[f"network.{index}.weight"].astype(np.float64).transpose(0, 3, 1, 2)  # -> [out, in, kh, kw]
            bias = tensors[f"network.{index}.bias"].astype(np.float64)
            n, c, h, w = x.shape
            k = weight.shape[2]
            oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
            out = np.empty((n, weight.shape[0], oh, ow))
            for i in range(oh):
                for j in range(ow):
                    patch = x[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
                    out[:, :, i, j] = np.einsum("nchw,ochw->no", patch, weight)
            x = out + bias[None, :, None, None]
        elif kind == "relu":
            x = np.maximum(x, 0)
        elif kind == "tanh":
            x = np.tanh(x)
        elif kind == "flatten":
            x = x.transpose(0, 2, 3, 1).reshape(x.shape[0], -1) if x.ndim == 4 else x.reshape(x.shape[0], -1)
        elif kind == "linear":
            x = x @ tensors[f"network.{index}.weight"].astype(np.float64).T + tensors[f"network.{index}.bias"]
        elif kind == "lstm":
            # nn.LSTMCell from zero state (each row its own sequence here), gates i, f, g, o.
            t = {name: tensors[f"network.{index}.{name}"].astype(np.float64) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
            hidden = t["weight_hh"].shape[1]
            h = np.zeros((x.shape[0], hidden))
            c = np.zeros((x.shape[0], hidden))
            gates = x @ t["weight_ih"].T + t["bias_ih"] + h @ t["weight_hh"].T + t["bias_hh"]
            i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
            sigmoid = lambda z: 1 / (1 + np.exp(-z))
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            x = sigmoid(o) * np.tanh(c)
    return {"outputs": x.reshape(-1).tolist()}


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    print(json.dumps({"tensorboard": tensorboard, "safetensors": safetensors, "gif": gif, "onnx": onnx, "torchlike": torchlike}[kind](path)))
