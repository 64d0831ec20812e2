"""What a trained defend_the_center policy does with its 26 rounds: games played in numpy from a
checkpoint (the paper network, actions sampled as in training), with the scenario's AMMO2 game
variable read at every step. Prints the mean score, game length, rounds spent, rounds left at the
last step before death, kills per round spent, and how often each action was taken (0 no-op,
1 turn left, 2 turn right, 3 attack, as Gymnasium's ViZDoom wrapper numbers the buttons).

    .venv/bin/python benchmarks/defend_the_center/ammunition.py 10 RUN/checkpoints/latest.safetensors ...
"""
import os
import sys

import gymnasium as gym
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dead_units import grey, load, trunk  # noqa: E402


def policy(p, x):
    hidden = np.maximum(trunk(p, x[None])[2], 0)
    logits = (hidden @ p["network.7.weight"].T + p["network.7.bias"])[0, :4]
    z = np.exp(logits - logits.max())
    return z / z.sum()


def play(path, games):
    p, env, rng = load(path), gym.make("VizdoomDefendCenter-v1", frame_skip=4), np.random.default_rng(0)
    scores, lengths, spent, left, actions = [], [], [], [], np.zeros(4)
    for game in range(games):
        observation, _ = env.reset(seed=game)
        stack, score, steps = [grey(observation)] * 4, 0.0, 0
        start = last = observation["gamevariables"][0]
        while True:
            action = rng.choice(4, p=policy(p, np.stack(stack, -1)))
            actions[action] += 1
            observation, reward, terminated, truncated, _ = env.step(int(action))
            score, steps = score + reward, steps + 1
            if terminated or truncated:
                break
            last = observation["gamevariables"][0]
            stack = stack[1:] + [grey(observation)]
        scores.append(score), lengths.append(steps), spent.append(start - last), left.append(last)
    kills = np.array(scores) + 1  # the death costs 1
    print(f"{path}: score {np.mean(scores):.1f} over {games} games, {np.mean(lengths):.0f} steps, rounds spent "
          f"{np.mean(spent):.1f}, left before death {np.mean(left):.1f}, kills per round {kills.sum() / np.sum(spent):.2f}, "
          f"actions {np.round(actions / actions.sum(), 2)}")


if __name__ == "__main__":
    for checkpoint in sys.argv[2:]:
        play(checkpoint, int(sys.argv[1]))
