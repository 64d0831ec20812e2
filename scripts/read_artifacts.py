"""Reads swift-a3c's files back with the reference Python tools, for the tests.

    read_artifacts.py tensorboard RUN_DIR     scalars through TensorBoard's EventAccumulator
    read_artifacts.py safetensors FILE        tensors and metadata through the safetensors package
    read_artifacts.py gif FILE                frame count, size and first/last frame pixels through Pillow
    read_artifacts.py onnx FILE               the model run by onnxruntime on FILE.inputs.json's observations

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


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    print(json.dumps({"tensorboard": tensorboard, "safetensors": safetensors, "gif": gif, "onnx": onnx}[kind](path)))
