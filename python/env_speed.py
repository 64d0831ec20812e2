"""Gymnasium on its own, for `a3c bench`: random actions through the same preprocessing the trainer
uses (for Atari, Gymnasium's AtariPreprocessing: no-op starts, frame skip 4 with max-pooling, 84x84
grey, life loss, plus a 4-frame stack), in N processes at once. Prints one JSON object.

With --raw, the physical limit instead: for Atari the emulator alone, stepped on ale-py's interface
with frame skip 4 and the maximum of the last two grey screens and nothing else; for other ids the
same environment as without it (ViZDoom's own frame skip is already the bare loop).

    env_speed.py ENV_ID --seconds S --processes N [--raw]
"""
import argparse
import json
import multiprocessing
import time


def make(env_id):
    import gymnasium as gym

    if env_id.startswith("ALE/"):
        import ale_py

        gym.register_envs(ale_py)
        env = gym.make(env_id, frameskip=1, repeat_action_probability=0.0)
        env = gym.wrappers.AtariPreprocessing(env, noop_max=30, frame_skip=4, screen_size=84, terminal_on_life_loss=True)
        return gym.wrappers.FrameStackObservation(env, 4)
    if env_id.startswith("Vizdoom"):
        import vizdoom.gymnasium_wrapper  # noqa: F401

        return gym.make(env_id, frame_skip=4)
    return gym.make(env_id)


def run(env_id, seconds, seed, queue, raw):
    try:
        if raw and env_id.startswith("ALE/"):
            count_raw_ale(env_id, seconds, seed, queue)
        else:
            count(env_id, seconds, seed, queue)
    except Exception as error:  # the parent reports it; it must never wait forever
        queue.put(f"{type(error).__name__}: {error}")


def count_raw_ale(env_id, seconds, seed, queue):
    import ale_py
    import gymnasium as gym
    import numpy as np

    gym.register_envs(ale_py)
    env = gym.make(env_id, frameskip=1, repeat_action_probability=0.0, obs_type="grayscale")
    env.reset(seed=seed)
    ale = env.unwrapped.ale
    actions = env.unwrapped._action_set
    rng = np.random.default_rng(seed)
    height, width = ale.getScreenDims()
    previous, latest, pooled = (np.zeros((height, width), np.uint8) for _ in range(3))
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for action in rng.integers(0, len(actions), 100):
            for frame in range(4):
                ale.act(actions[action])
                if frame == 2:
                    ale.getScreenGrayscale(previous)
            ale.getScreenGrayscale(latest)
            np.maximum(previous, latest, out=pooled)
            steps += 1
            if ale.game_over():
                ale.reset_game()
    queue.put((steps, time.perf_counter() - start))


def count(env_id, seconds, seed, queue):
    env = make(env_id)
    env.reset(seed=seed)
    env.action_space.seed(seed)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            _, _, terminated, truncated, _ = env.step(env.action_space.sample())
            steps += 1
            if terminated or truncated:
                env.reset()
    queue.put((steps, time.perf_counter() - start))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("env_id")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--raw", action="store_true", help="the emulator (or bare environment) alone")
    args = parser.parse_args()
    queue = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=run, args=(args.env_id, args.seconds, i + 1, queue, args.raw)) for i in range(args.processes)]
    for w in workers:
        w.start()
    results = [queue.get(timeout=args.seconds + 120) for _ in workers]
    for w in workers:
        w.join()
    failures = [r for r in results if isinstance(r, str)]
    if failures:
        raise SystemExit(f"env_speed.py: {failures[0]}")
    rate = sum(steps / elapsed for steps, elapsed in results)
    print(json.dumps({"env": args.env_id, "processes": args.processes, "raw": args.raw, "steps_per_second": rate}))
