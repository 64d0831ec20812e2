"""The Python side of swift-a3c's Gymnasium bridge: hosts the Gymnasium environments of one Swift worker
(one or several copies of one id), stepped together.

Started by the Swift `GymnasiumHost` with one argument, a JSON object:
    {"id": "ALE/Pong-v5", "mode": "atari" | "generic", "count": n, "make_kwargs": {...},
     "noop_max": 30, "frame_skip": 4, "fire_reset": true, "episodic_life": true}

Handshake (text lines on the private reply channel, one line of JSON each way):
    host -> swift  {"ok": true, "observation_shape": [...], "observation_dtype": "uint8" | "float32",
                    "actions": n (discrete actions, or a Box's dimensions), "action_meanings": [...],
                    "action_low": [...] | null, "action_high": [...] | null (a Box's bounds),
                    "frame_shape": [h, w, 3] | null, "action_offset": n,
                    "observation_bytes": n, "shared_bytes": n, "needs_fire": bool,
                    "max_episode_steps": n | null, "reward_threshold": x | null}
    swift -> host  the name of a POSIX shared-memory object of `shared_bytes` bytes (a line)
    host -> swift  "mapped"
Shared memory: `count` observation slots of `observation_bytes`, then `count` final slots (the last
observation of an episode that a step ended and autoreset replaced), then one colour picture, then
for a Box action space (from `action_offset`, 8-aligned) a float32 row of actions per environment,
which Swift writes before each 'S' (whose per-environment values are then unused).
Then fixed-size binary messages, little-endian:
    request  (8 + 8 * count bytes): u8 command, 3 pad bytes, i32 argument, then one u64 per
             environment (an action, or a seed with 2**64 - 1 for none)
             'S' step every environment (argument 1: autoreset the ones whose episode ended)
             'R' reset every environment with its seed
             'C' start the next episode of every environment after one ended (see below)
             'F' draw environment `argument`'s colour picture; 'Q' quit
    reply    u8 status (0 ok; 1 error: u32 length and a UTF-8 message follow instead of records),
             3 pad bytes, u32 0, then `count` records of 32 bytes:
             f64 reward, f64 points scored by the autoreset after this step (they belong to the game's
             next step), i32 lives, u8 terminated, u8 truncated, u8 game_over, u8 reset (1: this step
             ended an episode and autoreset started the next one), i64 episode frame number
Nothing per step is pickled or serialised.

The next episode after one ended: for Atari with episodic life, after a lost life while the game goes
on, a no-op step and FIRE (for games that need it), whose points are reported; otherwise a new game.
A new game starts with 1 to `noop_max` single emulator frames of no-op, then FIRE where needed.

Modes:
    atari    ALE through Gymnasium's AtariEnv, stepped on its ALE interface: frame skip with the
             maximum over the last two frames, grayscale at native resolution, a lost life as the end
             of the training episode. Resizing, stacking and reward clipping are the Swift side's.
    generic  any Gymnasium id with a discrete or one-dimensional Box action space; Box observations (ViZDoom's dict:
             its "screen") are copied as they are. A ViZDoom time-out is truncated, not terminated,
             and the last observation of a ViZDoom episode repeats its last screen (it has none).

The host exits when its standard input closes, so it never outlives the Swift process.
"""
import json
import mmap
import os
import struct
import sys
import traceback

import numpy as np

HEADER = struct.Struct("<B3xi")
RECORD = struct.Struct("<ddibbbbq")
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
    try:
        import mujoco

        # MuJoCo's own handler prints each warning and appends it to MUJOCO_LOG.TXT in the user's
        # directory; MuJoCo 4 warns at every start about an attribute of Gymnasium's v5 models,
        # which the user cannot act on. Other warnings still reach stderr.
        def warn(message):
            if "'settotalmass' is deprecated" not in message:
                sys.stderr.write(f"MuJoCo: {message}\n")

        mujoco.set_mju_user_warning(warn)
    except ImportError:
        pass
    return gymnasium


class AtariGame:
    """One game. step() and restart() return (reward, lives, terminated, truncated, game_over)."""

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
        self.episodic_life = bool(config.get("episodic_life", True))
        self.needs_fire = bool(config.get("fire_reset", True)) and len(self.meanings) >= 3 and self.meanings[1] == "FIRE"
        height, width = self.ale.getScreenDims()
        self.shape = (height, width)
        self.previous = np.zeros(self.shape, np.uint8)
        self.latest = np.zeros(self.shape, np.uint8)
        self.rng = np.random.default_rng()
        self.seeded = False
        self.lives = 0
        self.life_lost = False  # the last step lost a life while the game goes on

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

    def attach(self, observation):
        self.observation = observation.reshape(self.shape)

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
        # No-op starts are single emulator frames (as Gymnasium's AtariPreprocessing and SB3's NoopResetEnv).
        if self.noop_max > 0:
            for _ in range(int(self.rng.integers(1, self.noop_max + 1))):
                self.ale.act(self.actions[0])
                if self.ale.game_over():
                    self.ale.reset_game()
        if self.needs_fire:
            self._skip(self.actions[1])
        else:
            self.ale.getScreenGrayscale(self.observation)
        self.lives = self.ale.lives()
        self.life_lost = False

    def step(self, action):
        reward = float(self._skip(self.actions[action]))
        lives = self.ale.lives()
        truncated = self.ale.game_truncated()
        over = self.ale.game_over(with_truncation=True)
        # A life counts as lost only while some remain (games can show 0 lives before game over).
        self.life_lost = self.episodic_life and lives < self.lives and lives > 0 and not over
        self.lives = lives
        return reward, lives, (over and not truncated) or self.life_lost, truncated, over

    def restart(self):
        """The next episode; returns the points scored on the way (after a lost life only)."""
        if self.life_lost:
            # The game goes on: a no-op step (and FIRE where the game needs it).
            self.life_lost = False
            points = float(self._skip(self.actions[0]))
            if self.needs_fire and not self.ale.game_over(with_truncation=True):
                points += self._skip(self.actions[1])
            self.lives = self.ale.lives()
            if not self.ale.game_over(with_truncation=True):
                return points
        self.reset(None)  # a new game (also should a continuation have ended the game)
        return 0.0

    def frame_number(self):
        return self.ale.getEpisodeFrameNumber()

    def render(self, frame):
        self.ale.getScreenRGB(frame.reshape(self.shape + (3,)))


class GenericGame:
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
        actions = self.env.action_space
        if isinstance(actions, gymnasium.spaces.Discrete):
            self.actions, self.bounds = int(actions.n), None
        elif isinstance(actions, gymnasium.spaces.Box) and len(actions.shape) == 1:
            self.actions = int(actions.shape[0])
            # JSON has no infinity: an unbounded side is sent as float32's largest value, which
            # leaves clipping to the bounds a no-op there.
            finite = np.finfo(np.float32).max
            self.bounds = tuple([float(np.clip(v, -finite, finite)) for v in side] for side in (actions.low, actions.high))
            self.action_dtype = actions.dtype
        else:
            raise ValueError(f"{config['id']}: actions must be Discrete or a one-dimensional Box, not {actions}")
        self.doom = getattr(self.env.unwrapped, "game", None) if config["id"].startswith("Vizdoom") else None
        self.shape = tuple(int(d) for d in space.shape)
        self.dtype = np.uint8 if space.dtype == np.uint8 else np.float32
        self.lives = 0
        self.steps = 0
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
            "action_low": self.bounds[0] if self.bounds else None,
            "action_high": self.bounds[1] if self.bounds else None,
            "frame_shape": self.frame_shape,
            "observation_bytes": int(np.prod(self.shape)) * np.dtype(self.dtype).itemsize,
            "needs_fire": False,
            "max_episode_steps": spec.max_episode_steps if spec is not None else None,
            "reward_threshold": spec.reward_threshold if spec is not None else None,
        }

    def attach(self, observation):
        self.observation = observation.view(self.dtype).reshape(self.shape)

    def _write(self, observation):
        if self.key is not None:
            observation = observation[self.key]
        self.observation[...] = observation

    def reset(self, seed):
        observation, info = self.env.reset(seed=seed)
        self._write(observation)
        self.lives = int(info.get("lives", 0)) if isinstance(info, dict) else 0
        self.steps = 0

    def step(self, action):
        if self.bounds is not None:
            action = np.array(action, dtype=self.action_dtype)  # a copy of the shared-memory row
        observation, reward, terminated, truncated, info = self.env.step(action)
        # ViZDoom has no screen once an episode is finished and its wrapper returns a black one:
        # keep the last real screen, what a truncated episode is bootstrapped from.
        if self.doom is None or not self.doom.is_episode_finished():
            self._write(observation)
        if isinstance(info, dict) and "lives" in info:
            self.lives = int(info["lives"])
        # ViZDoom's wrapper reports its scenario time-out as terminated and truncated: the state is
        # not terminal, so it is only truncated (unless the player died on that tic).
        if self.doom is not None and truncated and terminated and not self.doom.is_player_dead():
            terminated = False
        self.steps += 1
        return float(reward), self.lives, bool(terminated), bool(truncated), bool(terminated or truncated)

    def restart(self):
        self.reset(None)
        return 0.0

    def frame_number(self):
        return self.steps

    def render(self, frame):
        if self.frame_shape:
            frame[: int(np.prod(self.frame_shape))].reshape(self.frame_shape)[...] = self.env.render()


def main():
    config = json.loads(sys.argv[1])
    # Replies go to the original stdout; anything libraries print goes to stderr instead.
    reply_fd = os.dup(1)
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    reply = os.fdopen(reply_fd, "wb", buffering=0)

    def send_line(obj):
        reply.write((json.dumps(obj) + "\n").encode())

    count = max(1, int(config.get("count", 1)))
    try:
        gymnasium = import_environment_packages()
        kind = AtariGame if config.get("mode") == "atari" else GenericGame
        games = [kind(gymnasium, config) for _ in range(count)]
        description = games[0].describe()
    except Exception as error:  # reported to Swift as one line
        message = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        send_line({"ok": False, "error": f"{type(error).__name__}: {message}"})
        return
    frame_bytes = int(np.prod(description["frame_shape"])) if description["frame_shape"] else 0
    slot = description["observation_bytes"]
    # Continuous actions arrive in shared memory after the picture, float32, a row per environment.
    continuous = description.get("action_low") is not None
    action_offset = (2 * count * slot + frame_bytes + 7) // 8 * 8
    shared_bytes = action_offset + (4 * count * description["actions"] if continuous else 0)
    description.update(ok=True, shared_bytes=shared_bytes, action_offset=action_offset)
    send_line(description)

    name = requests.readline().decode().strip()
    if not name:
        return
    with open(f"/dev/shm/{name.lstrip('/')}", "r+b") as f:
        shared = mmap.mmap(f.fileno(), shared_bytes)
    memory = np.frombuffer(shared, np.uint8)
    observations = [memory[i * slot:(i + 1) * slot] for i in range(count)]
    finals = [memory[(count + i) * slot:(count + i + 1) * slot] for i in range(count)]
    frame = memory[2 * count * slot:2 * count * slot + frame_bytes]
    if continuous:
        actions = memory[action_offset:].view(np.float32).reshape(count, description["actions"])
    for game, observation in zip(games, observations):
        game.attach(observation)
    send_line("mapped")

    values_format = struct.Struct(f"<{count}Q")
    header_ok = HEADER.pack(0, 0)
    out = bytearray(HEADER.size + RECORD.size * count)
    out[:HEADER.size] = header_ok
    blank = (0.0, 0, False, False, False)
    while True:
        request = requests.read(HEADER.size + values_format.size)
        if len(request) < HEADER.size + values_format.size:
            return  # Swift closed the pipe
        command, argument = HEADER.unpack_from(request)
        values = values_format.unpack_from(request, HEADER.size)
        try:
            if command == ord("Q"):
                return
            for i, game in enumerate(games):
                points, restarted = 0.0, 0
                if command == ord("S"):
                    result = game.step(actions[i] if continuous else values[i])
                    if argument and (result[2] or result[3]):
                        finals[i][...] = observations[i]
                        points, restarted = game.restart(), 1
                elif command == ord("R"):
                    game.reset(None if values[i] == NO_SEED else values[i])
                    result = (0.0, game.lives, False, False, False)
                elif command == ord("C"):
                    points = game.restart()
                    result = (0.0, game.lives, False, False, False)
                elif command == ord("F"):
                    if i == argument:
                        game.render(frame)
                    result = blank
                else:
                    raise ValueError(f"unknown command {command}")
                reward, lives, terminated, truncated, over = result
                RECORD.pack_into(out, HEADER.size + i * RECORD.size, reward, points, lives, terminated, truncated, over,
                                 restarted, game.frame_number())
            reply.write(out)
        except Exception as error:
            message = f"{type(error).__name__}: {error}".encode()[:4000]
            reply.write(struct.pack("<B3xI", 1, len(message)) + message)
            traceback.print_exc()


if __name__ == "__main__":
    main()
