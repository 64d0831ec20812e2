"""Records classic-control trajectories from Gymnasium itself (discrete and continuous actions), for the Swift environments' tests.

Run with the project's virtual environment (gymnasium==1.4.0):
    .venv/bin/python scripts/make_gymnasium_fixtures.py Tests/EnvironmentsTests/Fixtures/classic_control.json

Each episode stores the internal state right after reset (float64, as Gymnasium keeps it), then for
every step the action taken and what Gymnasium returned. The Swift test starts from the same state,
replays the actions and compares.
"""
import json
import sys

import gymnasium as gym
import numpy as np


def cartpole_policy(rng, obs, t):
    x, x_dot, theta, theta_dot = obs
    # A PD balancer with some random actions: episodes run long enough to hit the 500-step limit.
    if rng.random() < 0.1:
        return int(rng.integers(2))
    return int(theta * 10 + theta_dot * 2 + x * 0.1 + x_dot * 0.5 > 0)


def mountaincar_policy(rng, obs, t):
    # Push along the velocity: reaches the goal (termination) within the time limit.
    return 2 if obs[1] >= 0 else 0


def acrobot_policy(rng, obs, t):
    # Torque along both joints' velocity pumps energy: swings up and terminates.
    return 2 if obs[4] + obs[5] >= 0 else 0


def random_policy(n):
    return lambda rng, obs, t: int(rng.integers(n))


def uniform_policy(low, high):
    # Continuous actions, some beyond the bounds (the environment clips them).
    return lambda rng, obs, t: np.array([rng.uniform(low, high)], dtype=np.float32)


def pendulum_swing(rng, obs, t):
    # Torque along the angular velocity, with noise: swings up, and sometimes saturates.
    cos, sin, velocity = obs
    return np.array([np.clip(1.5 * np.sign(velocity) + rng.normal(0, 0.5), -2.5, 2.5)], dtype=np.float32)


def mountaincar_continuous_pump(rng, obs, t):
    # Push along the velocity, below full force: reaches the goal (termination) within the limit.
    return np.array([0.8 if obs[1] >= 0 else -0.8], dtype=np.float32) + np.float32(rng.uniform(-0.1, 0.1))


PLANS = [
    ("CartPole-v1", [(1, random_policy(2)), (2, random_policy(2)), (3, cartpole_policy), (4, cartpole_policy)]),
    ("MountainCar-v0", [(1, random_policy(3)), (2, mountaincar_policy), (3, mountaincar_policy)]),
    ("Acrobot-v1", [(1, random_policy(3)), (2, acrobot_policy), (3, acrobot_policy)]),
    ("Pendulum-v1", [(1, uniform_policy(-2.5, 2.5)), (2, pendulum_swing)]),
    ("MountainCarContinuous-v0", [(1, uniform_policy(-1.3, 1.3)), (2, mountaincar_continuous_pump)]),
]


def as_action(action):
    # Discrete actions stay integers; continuous ones are the float32 values the environment got.
    if isinstance(action, np.ndarray):
        return [float(v) for v in action.astype(np.float32)]
    return action


def as_floats(values):
    return [float(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def record(env_id, seed, policy):
    env = gym.make(env_id)
    rng = np.random.default_rng(1000 + seed)
    obs, _ = env.reset(seed=seed)
    episode = {
        "env": env_id,
        "seed": seed,
        "initial_state": as_floats(env.unwrapped.state),
        "initial_observation": as_floats(obs),
        "steps": [],
    }
    t = 0
    while True:
        action = policy(rng, obs, t)
        obs, reward, terminated, truncated, _ = env.step(action)
        episode["steps"].append({
            "action": as_action(action),
            "observation": as_floats(obs),
            "state": as_floats(env.unwrapped.state),
            "reward": float(reward),
            "terminated": bool(terminated),
            "truncated": bool(truncated),
        })
        t += 1
        if terminated or truncated:
            break
    env.close()
    return episode


def main():
    out = sys.argv[1]
    episodes = []
    for env_id, runs in PLANS:
        for seed, policy in runs:
            ep = record(env_id, seed, policy)
            last = ep["steps"][-1]
            print(f"{env_id} seed {seed}: {len(ep['steps'])} steps, "
                  f"terminated={last['terminated']} truncated={last['truncated']}")
            episodes.append(ep)
    with open(out, "w") as f:
        json.dump({"gymnasium_version": gym.__version__, "episodes": episodes}, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
