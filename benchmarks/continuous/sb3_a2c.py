"""Stable-Baselines3 A2C on a continuous-control task for a fixed wall time: the peer for
`a3c train` on the same task and machine. Its A2C defaults (RMSProp 7e-4, 5-step rollouts, a
state-independent log sigma), 8 environments as the RL Zoo runs A2C, one torch thread, seed 1;
`--normalize` wraps the environments in VecNormalize (observations and rewards), as the RL Zoo does
for MuJoCo and Box2D tasks. Prints when the mean of the last 100 training episodes first reaches
the target, and where it ends.

    .venv/bin/pip install stable-baselines3==2.9.2
    .venv/bin/python benchmarks/continuous/sb3_a2c.py --env Pendulum-v1 --target -200 --seconds 300
    .venv/bin/python benchmarks/continuous/sb3_a2c.py --env HalfCheetah-v5 --target 2000 --normalize --seconds 1800
"""
import argparse
import time

import numpy as np
import torch
from stable_baselines3 import A2C
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecNormalize


class Clock(BaseCallback):
    """Stops learning after `seconds`; keeps every finished episode's real (unnormalised) return."""

    def __init__(self, seconds, target):
        super().__init__()
        self.seconds, self.target, self.returns, self.reached = seconds, target, [], None

    def _on_training_start(self):
        self.start = time.perf_counter()

    def _on_step(self):
        for info in self.locals["infos"]:
            if "episode" in info:
                self.returns.append(info["episode"]["r"])
                mean = np.mean(self.returns[-100:])
                if self.reached is None and len(self.returns) >= 100 and mean >= self.target:
                    self.reached = (self.num_timesteps, time.perf_counter() - self.start)
        return time.perf_counter() - self.start < self.seconds


parser = argparse.ArgumentParser()
parser.add_argument("--env", required=True)
parser.add_argument("--target", type=float, required=True)
parser.add_argument("--seconds", type=float, default=300)
parser.add_argument("--normalize", action="store_true")
args = parser.parse_args()
torch.set_num_threads(1)
env = make_vec_env(args.env, n_envs=8, seed=1)
if args.normalize:
    env = VecNormalize(env)
model = A2C("MlpPolicy", env, seed=1, verbose=0)
clock = Clock(args.seconds, args.target)
model.learn(total_timesteps=10**10, callback=clock)
elapsed = time.perf_counter() - clock.start
setup = "defaults, 8 envs" + (", VecNormalize" if args.normalize else "") + ", 1 torch thread"
print(f"SB3 A2C ({setup}), {args.env}, seed 1, {elapsed:.0f} s: "
      f"{model.num_timesteps:,} steps ({model.num_timesteps / elapsed:,.0f}/s), {len(clock.returns)} episodes")
if len(clock.returns) >= 100:
    best = max(np.mean(clock.returns[i - 100:i]) for i in range(100, len(clock.returns) + 1))
    print(f"last 100 episodes: {np.mean(clock.returns[-100:]):.1f}; best 100: {best:.1f}")
reached = f"step {clock.reached[0]:,}, {clock.reached[1]:.0f} s" if clock.reached else "never"
print(f"mean of 100 first >= {args.target:g}: {reached}")
