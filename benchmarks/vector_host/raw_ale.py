"""A raw ALE loop for comparison with the vectorised host: one Pong game in this process, random actions,
frame skip 4 with the maximum of the last two grey screens, a new game at game over. Prints agent steps/s.

    .venv/bin/python benchmarks/vector_host/raw_ale.py [seconds]
"""
import sys
import time

import ale_py
import gymnasium
import numpy as np

gymnasium.register_envs(ale_py)
env = gymnasium.make("ALE/Pong-v5", frameskip=1, repeat_action_probability=0.0, obs_type="grayscale")
env.reset(seed=1)
ale = env.unwrapped.ale
actions = env.unwrapped._action_set
shape = ale.getScreenDims()
previous, latest, observation = (np.zeros(shape, np.uint8) for _ in range(3))
rng = np.random.default_rng(1)
seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5
steps, start = 0, time.perf_counter()
while time.perf_counter() - start < seconds:
    for action in rng.integers(0, len(actions), 100):
        for i in range(4):
            ale.act(actions[action])
            if i == 2:
                ale.getScreenGrayscale(previous)
        ale.getScreenGrayscale(latest)
        np.maximum(previous, latest, out=observation)
        steps += 1
        if ale.game_over():
            ale.reset_game()
print(f"raw ALE loop, Pong, one process: {steps / (time.perf_counter() - start):.0f} agent steps/s")
