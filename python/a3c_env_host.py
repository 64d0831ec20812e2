"""The Python side of swift-a3c's Gymnasium bridge: hosts one Gymnasium environment for one Swift worker.

Started by the Swift `GymnasiumHost` with one argument, a JSON object:
    {"id": "ALE/Pong-v5", "mode": "atari" | "generic", "make_kwargs": {...},
     "noop_max": 30, "frame_skip": 4, "fire_reset": true}

Handshake (text lines on the private reply channel, one line of JSON each way):
    host -> swift  {"ok": true, "observation_shape": [...], "observation_dtype": "uint8" | "float32",
                    "actions": n, "action_meanings": [...], "frame_shape": [h, w, 3] | null,
                    "shared_bytes": n, "needs_fire": bool, "max_episode_steps": n | null}
    swift -> host  the name of a POSIX shared-memory object of `shared_bytes` bytes (a line)
    host -> swift  "mapped"
Then fixed-size binary messages, little-endian:
    request  (16 bytes): u8 command ('R' reset, 'S' step, 'F' colour frame, 'Q' quit), 3 pad bytes,
                         i32 action, u64 seed (2**64 - 1: no seed)
    reply    (24 bytes): f64 reward, i32 lives, u8 terminated, u8 truncated, u8 game_over,
                         u8 status (0 ok; 1 error, followed by u32 length and a UTF-8 message),
                         i64 episode frame number
The observation of every reset and step is written to the start of the shared memory; 'F' writes the
colour picture after it. Nothing per step is pickled or serialised.

Modes:
    atari    ALE through Gymnasium's AtariEnv, stepped on its ALE interface: frame skip with the
             maximum over the last two frames, grayscale at native resolution, up to `noop_max`
             random no-ops and FIRE (for games that need it) on reset. Resizing, stacking, reward
             clipping and life loss are the Swift side's.
    generic  any Gymnasium id with a discrete action space; Box observations (ViZDoom's dict:
             its "screen") are copied as they are.

The host exits when its standard input closes, so it never outlives the Swift process.
"""
import json
import mmap
import os
import struct
import sys
import traceback

import numpy as np

REQUEST = struct.Struct("<B3xiQ")
REPLY = struct.Struct("<dibbbBq")
NO_SEED = 2**64 - 1


def import_environment_packages():
    import gymnasium

    try:
        import ale_py

        ale_py.ALEInterface.setLoggerMode(ale_py.LoggerMode.Error)  # no banner per host
        gymnasium.register_envs(ale_py)
    except ImportError:
        pass
    try:
        import vizdoom.gymnasium_wrapper  # noqa: F401  (registers the Vizdoom* ids)
    except ImportError:
        pass
    return gymnasium


class AtariHost:
    def __init__(self, gymnasium, config):
        kwargs = dict(config.get("make_kwargs", {}))
        kwargs.update(frameskip=1, obs_type="grayscale")
        kwargs.setdefault("repeat_action_probability", 0.0)
        self.env = gymnasium.make(config["id"], **kwargs)
        self.atari = self.env.unwrapped
        self.ale = self.atari.ale
        self.actions = list(self.atari._action_set)
        self.meanings = self.atari.get_action_meanings()
        self.frame_skip = int(config.get("frame_skip", 4))
        self.noop_max = int(config.get("noop_max", 30))
        self.needs_fire = bool(config.get("fire_reset", True)) and len(self.meanings) >= 3 and self.meanings[1] == "FIRE"
        height, width = self.ale.getScreenDims()
        self.shape = (height, width)
        self.previous = np.zeros(self.shape, np.uint8)
        self.latest = np.zeros(self.shape, np.uint8)
        self.rng = np.random.default_rng()
        self.seeded = False

    def describe(self):
        height, width = self.shape
        return {
            "observation_shape": [height, width, 1],
            "observation_dtype": "uint8",
            "actions": len(self.actions),
            "action_meanings": self.meanings,
            "frame_shape": [height, width, 3],
            "observation_bytes": height * width,
            "needs_fire": self.needs_fire,
            "max_episode_steps": None,
        }

    def attach(self, observation, frame):
        self.observation = observation.reshape(self.shape)
        self.frame = frame.reshape(self.shape + (3,))

    def _skip(self, action):
        """One agent step: `frame_skip` emulator frames, the max of the last two screens."""
        ale, reward = self.ale, 0
        grabbed = 0
        for i in range(self.frame_skip):
            reward += ale.act(action)
            if i == self.frame_skip - 2:
                ale.getScreenGrayscale(self.previous)
                grabbed = 1
            if ale.game_over():
                break
        ale.getScreenGrayscale(self.latest)
        if grabbed:
            np.maximum(self.previous, self.latest, out=self.observation)
        else:
            self.observation[...] = self.latest
        return reward

    def reset(self, seed):
        if seed is not None:
            self.env.reset(seed=seed)
            self.rng = np.random.default_rng(seed)
            self.seeded = True
        elif not self.seeded:
            self.env.reset()
            self.seeded = True
        else:
            self.ale.reset_game()
        stepped = False
        if self.noop_max > 0:
            for _ in range(int(self.rng.integers(1, self.noop_max + 1))):
                self._skip(self.actions[0])
                stepped = True
                if self.ale.game_over():
                    self.ale.reset_game()
        if self.needs_fire:
            self._skip(self.actions[1])
            stepped = True
        if not stepped:
            self.ale.getScreenGrayscale(self.latest)
            self.observation[...] = self.latest
        return self._reply(0.0)

    def step(self, action):
        return self._reply(float(self._skip(self.actions[action])))

    def _reply(self, reward):
        truncated = self.ale.game_truncated()
        over = self.ale.game_over(with_truncation=True)
        return reward, self.ale.lives(), over and not truncated, truncated, over, self.ale.getEpisodeFrameNumber()

    def render(self):
        self.ale.getScreenRGB(self.frame)


class GenericHost:
    def __init__(self, gymnasium, config):
        self.env = gymnasium.make(config["id"], **config.get("make_kwargs", {}))
        space = self.env.observation_space
        if isinstance(space, gymnasium.spaces.Dict):
            if "screen" not in space.spaces:
                raise ValueError(f"{config['id']}: dict observations need a 'screen' entry")
            self.key = "screen"
            space = space.spaces["screen"]
        else:
            self.key = None
        if not isinstance(space, gymnasium.spaces.Box):
            raise ValueError(f"{config['id']}: observations must be a Box, not {space}")
        if not isinstance(self.env.action_space, gymnasium.spaces.Discrete):
            raise ValueError(f"{config['id']}: only discrete action spaces are supported, not {self.env.action_space}")
        self.shape = tuple(int(d) for d in space.shape)
        self.dtype = np.uint8 if space.dtype == np.uint8 else np.float32
        self.actions = int(self.env.action_space.n)
        self.lives = 0
        self.frame_number = 0
        self.last_observation = None
        self.frame_shape = None
        if getattr(self.env, "render_mode", None) == "rgb_array":
            self.env.reset(seed=0)
            picture = self.env.render()
            if picture is not None:
                self.frame_shape = [int(d) for d in picture.shape]

    def describe(self):
        spec = self.env.spec
        meanings = None
        if hasattr(self.env.unwrapped, "get_action_meanings"):
            meanings = self.env.unwrapped.get_action_meanings()
        return {
            "observation_shape": list(self.shape),
            "observation_dtype": "uint8" if self.dtype == np.uint8 else "float32",
            "actions": self.actions,
            "action_meanings": meanings or [str(i) for i in range(self.actions)],
            "frame_shape": self.frame_shape,
            "observation_bytes": int(np.prod(self.shape)) * np.dtype(self.dtype).itemsize,
            "needs_fire": False,
            "max_episode_steps": spec.max_episode_steps if spec is not None else None,
        }

    def attach(self, observation, frame):
        self.observation = observation.view(self.dtype).reshape(self.shape)
        self.frame = frame.reshape(self.frame_shape) if self.frame_shape else None

    def _write(self, observation):
        if self.key is not None:
            observation = observation[self.key]
        self.observation[...] = observation

    def reset(self, seed):
        observation, info = self.env.reset(seed=seed)
        self._write(observation)
        self.lives = int(info.get("lives", 0)) if isinstance(info, dict) else 0
        self.frame_number = 0
        return 0.0, self.lives, False, False, False, 0

    def step(self, action):
        observation, reward, terminated, truncated, info = self.env.step(action)
        self._write(observation)
        if isinstance(info, dict) and "lives" in info:
            self.lives = int(info["lives"])
        self.frame_number += 1
        return float(reward), self.lives, bool(terminated), bool(truncated), bool(terminated or truncated), self.frame_number

    def render(self):
        if self.frame is not None:
            self.frame[...] = self.env.render()


def main():
    config = json.loads(sys.argv[1])
    # Replies go to the original stdout; anything libraries print goes to stderr instead.
    reply_fd = os.dup(1)
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    reply = os.fdopen(reply_fd, "wb", buffering=0)

    def send_line(obj):
        reply.write((json.dumps(obj) + "\n").encode())

    try:
        gymnasium = import_environment_packages()
        host = (AtariHost if config.get("mode") == "atari" else GenericHost)(gymnasium, config)
        description = host.describe()
    except Exception as error:  # reported to Swift as one line
        message = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        send_line({"ok": False, "error": f"{type(error).__name__}: {message}"})
        return
    frame_bytes = int(np.prod(description["frame_shape"])) if description["frame_shape"] else 0
    observation_bytes = description.pop("observation_bytes")
    description.update(ok=True, shared_bytes=observation_bytes + frame_bytes, observation_bytes=observation_bytes)
    send_line(description)

    name = requests.readline().decode().strip()
    if not name:
        return
    with open(f"/dev/shm/{name.lstrip('/')}", "r+b") as f:
        shared = mmap.mmap(f.fileno(), observation_bytes + frame_bytes)
    memory = np.frombuffer(shared, np.uint8)
    host.attach(memory[:observation_bytes], memory[observation_bytes:])
    send_line("mapped")

    while True:
        request = requests.read(REQUEST.size)
        if len(request) < REQUEST.size:
            return  # Swift closed the pipe
        command, action, seed = REQUEST.unpack(request)
        try:
            if command == ord("S"):
                result = host.step(action)
            elif command == ord("R"):
                result = host.reset(None if seed == NO_SEED else seed)
            elif command == ord("F"):
                host.render()
                result = (0.0, 0, False, False, False, 0)
            elif command == ord("Q"):
                reply.write(REPLY.pack(0.0, 0, 0, 0, 0, 0, 0))
                return
            else:
                raise ValueError(f"unknown command {command}")
            reward, lives, terminated, truncated, over, frame = result
            reply.write(REPLY.pack(reward, lives, terminated, truncated, over, 0, frame))
        except Exception as error:
            message = f"{type(error).__name__}: {error}".encode()[:4000]
            reply.write(REPLY.pack(0.0, 0, 0, 0, 0, 1, 0) + struct.pack("<I", len(message)) + message)
            traceback.print_exc()


if __name__ == "__main__":
    main()
