"""A Gymnasium environment of the user's own, as the guide (docs/your-own-environment.md) writes
one: importing the module registers it, and `a3c train --env corridor_env:Corridor-v0` trains it
with the module's folder on PYTHONPATH."""
import gymnasium
import numpy as np


class Corridor(gymnasium.Env):
    """Cells 0..length-1; start at 0, step left (0) or right (1). The right end pays 1 and ends the
    episode; every other step costs 0.01. The observation is the cell, one-hot."""

    def __init__(self, length=8):
        self.length = length
        self.observation_space = gymnasium.spaces.Box(0.0, 1.0, (length,), np.float32)
        self.action_space = gymnasium.spaces.Discrete(2)
        self.position = 0

    def _observation(self):
        observation = np.zeros(self.length, np.float32)
        observation[self.position] = 1.0
        return observation

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.position = 0
        return self._observation(), {}

    def step(self, action):
        self.position = min(self.length - 1, max(0, self.position + (1 if action == 1 else -1)))
        arrived = self.position == self.length - 1
        return self._observation(), 1.0 if arrived else -0.01, arrived, False, {}


gymnasium.register("Corridor-v0", entry_point=Corridor, max_episode_steps=100, reward_threshold=0.9)
