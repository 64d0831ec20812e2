"""The emulator_speed.cpp loop on ale-py's wheel: the same games, actions and screens, from Python."""
import random
import sys
import time

import ale_py
import numpy as np

frames = int(sys.argv[1])
for rom in sys.argv[2:]:
    ale = ale_py.ALEInterface()
    ale.setLoggerMode(ale_py.LoggerMode.Error)
    ale.setFloat("repeat_action_probability", 0.0)
    ale.setInt("random_seed", 1)
    ale.loadROM(rom)
    actions, rng = ale.getMinimalActionSet(), random.Random(1)
    second, last = np.empty((210, 160), np.uint8), np.empty((210, 160), np.uint8)
    start = time.perf_counter()
    for _ in range(0, frames, 4):
        action = actions[rng.randrange(len(actions))]
        for k in range(4):
            ale.act(action)
            if k == 2:
                ale.getScreenGrayscale(second)
            if k == 3:
                ale.getScreenGrayscale(last)
        if ale.game_over():
            ale.reset_game()
    print(rom, round(frames / 4 / (time.perf_counter() - start)), "agent steps/s")
