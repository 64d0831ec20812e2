// The emulator alone, built as the native host builds it: one game per ROM, random actions, frame
// skip 4, the grey screens of the last two frames read, as the host does per agent step.
// Built and run by emulator_speed.sh beside emulator_speed.py (the same loop on ale-py's wheel).
#include "ale/ale_interface.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: emulator_speed FRAMES ROM...\n");
        return 2;
    }
    long frames = std::atol(argv[1]);
    ale::Logger::setMode(ale::Logger::Error);
    for (int g = 2; g < argc; ++g) {
        ale::ALEInterface ale;
        ale.setFloat("repeat_action_probability", 0.0f);
        ale.setInt("random_seed", 1);
        ale.loadROM(argv[g]);
        auto actions = ale.getMinimalActionSet();
        std::mt19937 rng(1);
        std::vector<unsigned char> second(210 * 160), last(210 * 160);
        auto start = std::chrono::steady_clock::now();
        for (long done = 0; done < frames; done += 4) {
            auto action = actions[rng() % actions.size()];
            for (int k = 0; k < 4; ++k) {
                ale.act(action);
                if (k == 2) ale.getScreenGrayscale(second);
                if (k == 3) ale.getScreenGrayscale(last);
            }
            if (ale.game_over()) ale.reset_game();
        }
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("%s %.0f agent steps/s\n", argv[g], frames / 4 / seconds);
    }
}
