"""Reads swift-a3c's files back with the reference Python tools, for the tests.

    read_artifacts.py tensorboard RUN_DIR     scalars through TensorBoard's EventAccumulator
    read_artifacts.py safetensors FILE        tensors and metadata through the safetensors package
    read_artifacts.py gif FILE                frame count, size and first/last frame pixels through Pillow
    read_artifacts.py onnx FILE               the model run by onnxruntime on FILE.inputs.json's observations
                                              (recurrent graphs a step at a time, the state passed on)
    read_artifacts.py torch FILE              a checkpoint loaded into PyTorch modules (nn.Conv2d on permuted
                                              weights, nn.Linear, nn.LSTMCell), run on FILE.inputs.json

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
    """The model run by onnxruntime on FILE.inputs.json (the layout torch_network reads); a
    recurrent graph (inputs h_in, c_in) runs a step at a time, its h_out, c_out fed back."""
    import numpy as np
    import onnxruntime

    with open(path + ".inputs.json") as f:
        given = json.load(f)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    shape, batch, steps = given["shape"], given["batch"], given["steps"]
    names = [o.name for o in session.get_outputs()]
    recurrent = "h_in" in [i.name for i in session.get_inputs()]
    state = None

    def run(rows):
        nonlocal state
        feed = {"observation": np.array(rows, dtype=np.float32).reshape([batch] + shape)}
        if recurrent:
            if state is None:
                cells = session.get_inputs()[1].shape[1]
                state = (np.zeros((batch, cells), np.float32), np.zeros((batch, cells), np.float32))
            feed["h_in"], feed["c_in"] = state
        results = dict(zip(names, session.run(None, feed)))
        if recurrent:
            state = (results["h_out"], results["c_out"])
        return results

    if given["warmup"]:
        run(given["warmup"])
    size = int(np.prod(shape))
    collected = {name: [] for name in names}
    for step in range(steps):
        for row in given["starts"]:
            if row // batch == step and state is not None:
                state[0][row % batch] = 0
                state[1][row % batch] = 0
        results = run(given["values"][step * batch * size:(step + 1) * batch * size])
        for name in names:
            collected[name] += results[name].reshape(-1).tolist()
    out = dict(collected)
    out["inputs"] = [{"name": i.name, "shape": [str(d) for d in i.shape]} for i in session.get_inputs()]
    out["outputs"] = names
    return out


def torch_network(path):
    """A checkpoint loaded into PyTorch modules the way the README tells PyTorch users: nn.Conv2d
    takes weight.permute(0, 3, 1, 2), the first layer after the convolutions takes a
    height-width-channel flattening, nn.Linear takes the weights as stored, nn.LSTMCell takes
    weight_ih, weight_hh, bias_ih, bias_hh as stored. FILE.inputs.json gives the observation shape,
    the layers, "warmup" observations (one step from zero state, whose recurrent state the sequence
    starts from; may be empty), then "steps" x "batch" observations, and "starts": the rows
    (step * batch + sequence) where a new episode begins with zero state."""
    import numpy as np
    import torch
    from safetensors.torch import load_file

    torch.set_num_threads(1)
    tensors = load_file(path)
    with open(path + ".inputs.json") as f:
        given = json.load(f)
    shape, batch, steps = given["shape"], given["batch"], given["steps"]
    modules = []
    with torch.no_grad():
        for index, (kind, stride, padding) in enumerate(given["layers"]):
            t = lambda name: tensors[f"network.{index}.{name}"].double()
            if kind == "conv":
                weight = t("weight").permute(0, 3, 1, 2)
                module = torch.nn.Conv2d(weight.shape[1], weight.shape[0], weight.shape[2], stride=stride, padding=padding)
                module.weight.copy_(weight)
                module.bias.copy_(t("bias"))
            elif kind == "linear":
                weight = t("weight")
                module = torch.nn.Linear(weight.shape[1], weight.shape[0])
                module.weight.copy_(weight)
                module.bias.copy_(t("bias"))
            elif kind == "lstm":
                weight_ih = t("weight_ih")
                module = torch.nn.LSTMCell(weight_ih.shape[1], weight_ih.shape[0] // 4)
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(module, name).copy_(t(name))
            elif kind == "flatten":
                module = None
            else:
                module = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "elu": torch.nn.ELU}[kind]()
            modules.append((kind, module.double() if module is not None else None))

        def forward(observations, states):
            x = torch.tensor(np.array(observations, dtype=np.float64).reshape([-1] + shape))
            if x.ndim == 4:
                x = x.permute(0, 3, 1, 2)  # NHWC observations -> NCHW, as nn.Conv2d wants
            for index, (kind, module) in enumerate(modules):
                if kind == "flatten":
                    x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1) if x.ndim == 4 else x.reshape(x.shape[0], -1)
                elif kind == "lstm":
                    zeros = torch.zeros(x.shape[0], module.hidden_size, dtype=torch.float64)
                    h, c = module(x, states.get(index, (zeros, zeros)))
                    states[index] = (h, c)
                    x = h
                else:
                    x = module(x)
            return x

        states = {}
        if given["warmup"]:
            forward(given["warmup"], states)
        size = int(np.prod(shape))
        outputs = []
        for step in range(steps):
            for row in given["starts"]:
                if row // batch == step:
                    for h, c in states.values():
                        h[row % batch] = 0
                        c[row % batch] = 0
            rows = given["values"][step * batch * size:(step + 1) * batch * size]
            outputs.append(forward(rows, states).reshape(-1))
        return {"outputs": torch.cat(outputs).tolist(), "torch": torch.__version__}


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    print(json.dumps({"tensorboard": tensorboard, "safetensors": safetensors, "gif": gif, "onnx": onnx, "torch": torch_network}[kind](path)))
