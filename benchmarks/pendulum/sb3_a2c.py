"""Stable-Baselines3 A2C on Pendulum-v1 for a fixed wall time, the peer for `a3c train --env
Pendulum-v1`: its defaults (8 environments, as the RL Zoo runs A2C), one torch thread, seed 1.
Prints when the mean of the last 100 training episodes first reaches -200, and where it ends.

    .venv/bin/pip install stable-baselines3==2.9.2
    .venv/bin/python benchmarks/pendulum/sb3_a2c.py --seconds 300
"""
import argparse
import time

import numpy as np
import torch
from stable_baselines3 import A2C
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env


class Clock(BaseCallback):
    def __init__(self, seconds):
        super().__init__()
        self.seconds, self.returns, self.reached = seconds, [], None

    def _on_training_start(self):
        self.start = time.perf_counter()

    def _on_step(self):
        for info in self.locals["infos"]:
            if "episode" in info:
                self.returns.append(info["episode"]["r"])
                mean = np.mean(self.returns[-100:])
                if self.reached is None and len(self.returns) >= 100 and mean >= -200:
                    self.reached = (self.num_timesteps, time.perf_counter() - self.start)
        return time.perf_counter() - self.start < self.seconds


parser = argparse.ArgumentParser()
parser.add_argument("--seconds", type=float, default=300)
args = parser.parse_args()
torch.set_num_threads(1)
env = make_vec_env("Pendulum-v1", n_envs=8, seed=1)
model = A2C("MlpPolicy", env, seed=1, verbose=0)
clock = Clock(args.seconds)
model.learn(total_timesteps=10**9, callback=clock)
elapsed = time.perf_counter() - clock.start
print(f"SB3 A2C (defaults, 8 envs, 1 torch thread), Pendulum-v1, seed 1, {elapsed:.0f} s: "
      f"{model.num_timesteps:,} steps ({model.num_timesteps / elapsed:,.0f}/s), {len(clock.returns)} episodes")
print(f"last 100 episodes: {np.mean(clock.returns[-100:]):.1f}; best 100: "
      f"{max(np.mean(clock.returns[i - 100:i]) for i in range(100, len(clock.returns) + 1)):.1f}")
print("mean of 100 first >= -200: " + (f"step {clock.reached[0]:,}, {clock.reached[1]:.0f} s" if clock.reached else "never"))
