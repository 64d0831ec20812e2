"""Stable-Baselines3 PPO for a fixed wall time: the peer for `a3c train --algo ppo` on the same task
and machine. The RL Zoo's hyper-parameters for the family (its ppo.yml): for Atari, 8
environments, 128-step rollouts, 4 epochs of minibatches of 256, clip 0.1 and rate 2.5e-4 both
annealed linearly, entropy 0.01, value weight 0.5, on AtariWrapper frames stacked 4; for CartPole,
8 environments, 32-step rollouts, 20 epochs of minibatches of 256, GAE 0.8, gamma 0.98, no entropy
bonus, rate 1e-3 and clip 0.2 annealed; for MuJoCo, its tuned HalfCheetah entry (1 environment,
512-step rollouts, 20 epochs of minibatches of 64, rate 2.06e-5, clip 0.1, ReLU towers of 256-256,
log sigma from -2, VecNormalize). One torch thread, seed 1. Prints when the mean of the last
100 training episodes (whole games for Atari) first reaches the target, and where it ends.
With `--save DIR`, the model and the clock are kept in DIR every 10 minutes and on SIGINT, between
rollouts, and `--resume DIR` goes on from them (the games in progress at the stop are lost), so a
run longer than one sitting can be given the same wall time as ours.

    .venv/bin/pip install stable-baselines3==2.9.2 ale-py
    .venv/bin/python benchmarks/ppo/sb3_ppo.py --env CartPole-v1 --target 475 --seconds 120
    .venv/bin/python benchmarks/ppo/sb3_ppo.py --env ALE/Pong-v5 --target 18 --seconds 1800
    .venv/bin/python benchmarks/ppo/sb3_ppo.py --env HalfCheetah-v5 --target 1500 --seconds 600 --steps 1000000
    .venv/bin/python benchmarks/ppo/sb3_ppo.py --env ALE/Breakout-v5 --target 400 --seconds 12000 --save /tmp/sb3-breakout
    .venv/bin/python benchmarks/ppo/sb3_ppo.py --env ALE/Breakout-v5 --target 400 --seconds 12000 --resume /tmp/sb3-breakout
"""
import argparse
import json
import os
import signal
import time

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_atari_env, make_vec_env
from stable_baselines3.common.vec_env import VecFrameStack


class Clock(BaseCallback):
    """Stops learning after `seconds`; keeps every finished game's real (unclipped) score."""

    def __init__(self, seconds, target, folder=None):
        super().__init__()
        self.seconds, self.target, self.returns, self.rows, self.reached = seconds, target, [], [], None
        self.folder, self.before, self.stopping, self.stopped = folder, 0.0, False, False
        if folder and os.path.exists(os.path.join(folder, "clock.json")):
            with open(os.path.join(folder, "clock.json")) as f:
                state = json.load(f)
            self.before, self.rows, self.reached = state["seconds"], [tuple(r) for r in state["rows"]], state["reached"]
            self.returns = [r[2] for r in self.rows]
        signal.signal(signal.SIGINT, lambda *_: setattr(self, "stopping", True))

    def _on_training_start(self):
        self.start = time.perf_counter() - self.before
        self.saved = time.perf_counter()

    def save(self):
        # Between rollouts: every step counted so far has been learned from.
        os.makedirs(self.folder, exist_ok=True)
        self.model.save(os.path.join(self.folder, "model.zip"))
        state = dict(seconds=time.perf_counter() - self.start, rows=self.rows, reached=self.reached)
        with open(os.path.join(self.folder, "clock.tmp"), "w") as f:
            json.dump(state, f)
        os.replace(os.path.join(self.folder, "clock.tmp"), os.path.join(self.folder, "clock.json"))
        self.saved = time.perf_counter()

    def _on_rollout_start(self):
        if self.folder and (self.stopping or time.perf_counter() - self.saved > 600):
            self.save()
            self.stopped = self.stopping

    def _on_step(self):
        if self.stopped or (self.stopping and not self.folder):
            self.stopped = True
            return False
        for info in self.locals["infos"]:
            # The Monitor wrapper sits below AtariWrapper's life loss: "episode" marks a whole game.
            if "episode" in info:
                self.returns.append(info["episode"]["r"])
                self.rows.append((self.num_timesteps, time.perf_counter() - self.start, info["episode"]["r"]))
                mean = np.mean(self.returns[-100:])
                if self.reached is None and len(self.returns) >= 100 and mean >= self.target:
                    self.reached = (self.num_timesteps, time.perf_counter() - self.start)
        return time.perf_counter() - self.start < self.seconds


def linear(start):
    return lambda remaining: remaining * start


parser = argparse.ArgumentParser()
parser.add_argument("--env", required=True)
parser.add_argument("--target", type=float, required=True)
parser.add_argument("--seconds", type=float, default=300)
parser.add_argument("--steps", type=int, default=10_000_000, help="the budget the schedules anneal over")
parser.add_argument("--episodes", help="write every finished episode here: step,seconds,return (CSV)")
parser.add_argument("--save", help="keep the model and the clock in this folder, to be resumed")
parser.add_argument("--resume", help="go on from the model and the clock kept in this folder")
args = parser.parse_args()
folder = args.resume or args.save
torch.set_num_threads(1)
if args.env.startswith("ALE/"):
    import ale_py
    import gymnasium

    gymnasium.register_envs(ale_py)
    # ALE/...-v5 skips 4 frames and repeats actions with probability 0.25 by itself; AtariWrapper
    # skips (and max-pools) 4 more. One skip and no sticky actions, as `a3c train` plays.
    atari = make_atari_env(args.env, n_envs=8, seed=1, env_kwargs=dict(frameskip=1, repeat_action_probability=0.0))
    env = VecFrameStack(atari, n_stack=4)
    model = PPO("CnnPolicy", env, n_steps=128, n_epochs=4, batch_size=256, learning_rate=linear(2.5e-4),
                clip_range=linear(0.1), vf_coef=0.5, ent_coef=0.01, seed=1, verbose=0)
    setup = "RL Zoo Atari set-up, 8 envs"
elif args.env.split("-")[0] in ("HalfCheetah", "Hopper", "Walker2d", "Ant", "Humanoid"):
    # The zoo's tuned MuJoCo entry (HalfCheetah), on VecNormalize'd observations and rewards.
    from stable_baselines3.common.vec_env import VecNormalize

    env = VecNormalize(make_vec_env(args.env, n_envs=1, seed=1))
    model = PPO("MlpPolicy", env, n_steps=512, batch_size=64, gamma=0.98, learning_rate=2.0633e-05,
                ent_coef=0.000401762, clip_range=0.1, n_epochs=20, gae_lambda=0.92, max_grad_norm=0.8,
                vf_coef=0.58096, seed=1, verbose=0,
                policy_kwargs=dict(log_std_init=-2, ortho_init=False, activation_fn=torch.nn.ReLU,
                                   net_arch=dict(pi=[256, 256], vf=[256, 256])))
    setup = "RL Zoo HalfCheetah set-up, 1 env"
else:
    env = make_vec_env(args.env, n_envs=8, seed=1)
    model = PPO("MlpPolicy", env, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98, n_epochs=20,
                ent_coef=0.0, learning_rate=linear(1e-3), clip_range=linear(0.2), seed=1, verbose=0)
    setup = "RL Zoo CartPole set-up, 8 envs"
clock = Clock(args.seconds, args.target, folder)
if args.resume:
    model = PPO.load(os.path.join(args.resume, "model.zip"), env=env, device="cpu")
    print(f"resumed at {model.num_timesteps:,} agent steps, {clock.before:.0f} s")
model.learn(total_timesteps=args.steps - model.num_timesteps, callback=clock, reset_num_timesteps=not args.resume)
elapsed = time.perf_counter() - clock.start
if folder and not clock.stopped:
    clock.save()
if clock.stopped:
    print(f"stopped at {model.num_timesteps:,} agent steps, {elapsed:.0f} s; go on with --resume {folder}")
print(f"SB3 PPO ({setup}, 1 torch thread), {args.env}, seed 1, {elapsed:.0f} s: "
      f"{model.num_timesteps:,} agent steps ({model.num_timesteps / elapsed:,.0f}/s), {len(clock.returns)} episodes")
if len(clock.returns) >= 100:
    best = max(np.mean(clock.returns[i - 100:i]) for i in range(100, len(clock.returns) + 1))
    print(f"last 100 episodes: {np.mean(clock.returns[-100:]):.1f}; best 100: {best:.1f}")
reached = f"step {clock.reached[0]:,}, {clock.reached[1]:.0f} s" if clock.reached else "never"
print(f"mean of 100 first >= {args.target:g}: {reached}")
if args.episodes:
    with open(args.episodes, "w") as f:
        f.write("step,seconds,return\n")
        f.writelines(f"{step},{seconds:.2f},{score:g}\n" for step, seconds, score in clock.rows)
