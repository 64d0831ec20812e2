// a3c-ale-host: the Atari side of swift-a3c's Gymnasium bridge with no Python between frames.
//
// It hosts the ALE/<Game>-v5 games of one Swift worker and speaks python/a3c_env_host.py's protocol
// (handshake, shared memory, fixed-size requests and replies; that file's docstring is the
// specification). It plays exactly as that host's "atari" mode does on Gymnasium's AtariEnv: the
// same seeds reach the emulator (NumPy's SeedSequence), the same no-op counts are drawn (NumPy's
// PCG64 and its bounded integers), frame skip with the maximum of the last two grey screens, FIRE on
// reset, a lost life as the end of the training episode, sticky actions inside the emulator.
//
// It links ALE (GPL-2.0) and so stays a program of its own, run as a separate process, under that
// licence (LICENSE beside this file).
//
// Usage: a3c-ale-host CONFIG_JSON      serve, as python/a3c_env_host.py does
//        a3c-ale-host --draws SEED N NOOP_MAX
//                                      print the emulator seed and the first N no-op counts a game
//                                      seeded with SEED uses (tests compare them with NumPy's)
// ROMs are looked for in $A3C_ALE_ROMS, else in roms/ beside the program.

#include "ale/ale_interface.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Error = std::runtime_error;

// ---------------------------------------------------------------------------------------------
// The configuration: a JSON object written by the Swift side (objects, strings, numbers, booleans).

struct Json {
    enum Kind { Null, Boolean, Number, String, Array, Object } kind = Null;
    bool boolean = false;
    double number = 0;
    std::string text;
    std::vector<Json> items;
    std::vector<std::pair<std::string, Json>> fields;

    const Json* get(const std::string& key) const {
        for (const auto& field : fields)
            if (field.first == key) return &field.second;
        return nullptr;
    }
};

class JsonParser {
  public:
    explicit JsonParser(const std::string& text) : p_(text.data()), end_(text.data() + text.size()) {}

    Json document() {
        Json value = parse();
        space();
        if (p_ != end_) throw Error("the configuration has text after its JSON");
        return value;
    }

  private:
    const char* p_;
    const char* end_;

    void space() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
    }
    char peek() {
        space();
        if (p_ == end_) throw Error("the configuration's JSON ends early");
        return *p_;
    }
    void expect(char c) {
        if (peek() != c) throw Error(std::string("the configuration's JSON lacks a '") + c + "'");
        ++p_;
    }
    bool literal(const char* word) {
        size_t n = std::strlen(word);
        if (size_t(end_ - p_) >= n && std::strncmp(p_, word, n) == 0) {
            p_ += n;
            return true;
        }
        return false;
    }
    std::string string() {
        expect('"');
        std::string out;
        while (true) {
            if (p_ == end_) throw Error("the configuration's JSON has an unterminated string");
            char c = *p_++;
            if (c == '"') return out;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (p_ == end_) throw Error("the configuration's JSON has an unterminated string");
            char e = *p_++;
            switch (e) {
                case 'n': out += '\n'; break;
                case 't': out += '\t'; break;
                case 'r': out += '\r'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'u': {
                    if (end_ - p_ < 4) throw Error("the configuration's JSON has a bad \\u escape");
                    unsigned code = std::stoul(std::string(p_, 4), nullptr, 16);
                    p_ += 4;
                    if (code < 0x80) {
                        out += char(code);
                    } else if (code < 0x800) {
                        out += char(0xC0 | (code >> 6));
                        out += char(0x80 | (code & 0x3F));
                    } else {
                        out += char(0xE0 | (code >> 12));
                        out += char(0x80 | ((code >> 6) & 0x3F));
                        out += char(0x80 | (code & 0x3F));
                    }
                    break;
                }
                default: out += e;  // \" \\ \/
            }
        }
    }
    Json parse() {
        Json value;
        char c = peek();
        if (c == '{') {
            ++p_;
            value.kind = Json::Object;
            if (peek() == '}') return ++p_, value;
            while (true) {
                std::string key = string();
                expect(':');
                value.fields.emplace_back(key, parse());
                if (peek() == ',') {
                    ++p_;
                    continue;
                }
                expect('}');
                return value;
            }
        }
        if (c == '[') {
            ++p_;
            value.kind = Json::Array;
            if (peek() == ']') return ++p_, value;
            while (true) {
                value.items.push_back(parse());
                if (peek() == ',') {
                    ++p_;
                    continue;
                }
                expect(']');
                return value;
            }
        }
        if (c == '"') {
            value.kind = Json::String;
            value.text = string();
            return value;
        }
        if (literal("true")) return value.kind = Json::Boolean, value.boolean = true, value;
        if (literal("false")) return value.kind = Json::Boolean, value;
        if (literal("null")) return value;
        char* stop = nullptr;
        value.number = std::strtod(p_, &stop);
        if (stop == p_) throw Error("the configuration's JSON has an unreadable value");
        p_ = stop;
        value.kind = Json::Number;
        return value;
    }
};

double number(const Json& object, const char* key, double fallback) {
    const Json* value = object.get(key);
    if (!value || value->kind == Json::Null) return fallback;
    if (value->kind == Json::Boolean) return value->boolean ? 1 : 0;
    if (value->kind != Json::Number) throw Error(std::string(key) + " must be a number");
    return value->number;
}

std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buffer[8];
            std::snprintf(buffer, sizeof buffer, "\\u%04x", unsigned(c));
            out += buffer;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

// ---------------------------------------------------------------------------------------------
// NumPy's seeding, so a seed means what it means to Gymnasium's AtariEnv and to the Python host:
// SeedSequence (O'Neill's seed_seq hash, pool of four 32-bit words) and PCG64 (XSL-RR 128/64) with
// Generator.integers' bounded draw (Lemire's method on 32-bit outputs).

std::vector<uint32_t> seedSequenceState(uint64_t seed, size_t words) {
    constexpr uint32_t initA = 0x43b0d7e5, multA = 0x931e8875, initB = 0x8b51f9dd, multB = 0x58f38ded;
    constexpr uint32_t mixL = 0xca01f9dd, mixR = 0x4973f715;
    constexpr int shift = 16;
    std::vector<uint32_t> entropy;
    do {
        entropy.push_back(uint32_t(seed));
        seed >>= 32;
    } while (seed != 0);

    uint32_t hashConstant = initA;
    auto hashmix = [&](uint32_t value) {
        value ^= hashConstant;
        hashConstant *= multA;
        value *= hashConstant;
        return value ^ (value >> shift);
    };
    auto mix = [](uint32_t x, uint32_t y) {
        uint32_t result = mixL * x - mixR * y;
        return result ^ (result >> shift);
    };
    uint32_t pool[4];
    for (size_t i = 0; i < 4; ++i) pool[i] = hashmix(i < entropy.size() ? entropy[i] : 0);
    for (size_t source = 0; source < 4; ++source)
        for (size_t target = 0; target < 4; ++target)
            if (source != target) pool[target] = mix(pool[target], hashmix(pool[source]));
    for (size_t source = 4; source < entropy.size(); ++source)
        for (size_t target = 0; target < 4; ++target) pool[target] = mix(pool[target], hashmix(entropy[source]));

    std::vector<uint32_t> state(words);
    hashConstant = initB;
    for (size_t i = 0; i < words; ++i) {
        uint32_t value = pool[i % 4];
        value ^= hashConstant;
        hashConstant *= multB;
        value *= hashConstant;
        state[i] = value ^ (value >> shift);
    }
    return state;
}

class Pcg64 {
  public:
    explicit Pcg64(uint64_t seed) {
        auto words = seedSequenceState(seed, 8);
        uint64_t value[4];
        for (int i = 0; i < 4; ++i) value[i] = uint64_t(words[2 * i]) | (uint64_t(words[2 * i + 1]) << 32);
        unsigned __int128 initial = (unsigned __int128)value[0] << 64 | value[1];
        unsigned __int128 sequence = (unsigned __int128)value[2] << 64 | value[3];
        state_ = 0;
        increment_ = (sequence << 1) | 1;
        step();
        state_ += initial;
        step();
    }

    uint64_t next64() {
        step();
        uint64_t high = uint64_t(state_ >> 64), low = uint64_t(state_);
        unsigned rotation = unsigned(state_ >> 122);
        uint64_t x = high ^ low;
        return (x >> rotation) | (x << ((64 - rotation) & 63));
    }

    uint32_t next32() {
        if (hasHalf_) {
            hasHalf_ = false;
            return half_;
        }
        uint64_t next = next64();
        hasHalf_ = true;
        half_ = uint32_t(next >> 32);
        return uint32_t(next);
    }

    /// Generator.integers(low, high) for a range below 2**32, as NumPy draws it.
    int64_t integers(int64_t low, int64_t high) {
        uint32_t range = uint32_t(high - low - 1);
        if (range == 0) return low;
        uint32_t exclusive = range + 1;
        uint64_t m = uint64_t(next32()) * exclusive;
        uint32_t leftover = uint32_t(m);
        if (leftover < exclusive) {
            uint32_t threshold = (UINT32_MAX - range) % exclusive;
            while (leftover < threshold) {
                m = uint64_t(next32()) * exclusive;
                leftover = uint32_t(m);
            }
        }
        return low + int64_t(m >> 32);
    }

  private:
    static constexpr unsigned __int128 multiplier =
        (unsigned __int128)0x2360ED051FC65DA4ULL << 64 | 0x4385DF649FCCF645ULL;
    unsigned __int128 state_ = 0, increment_ = 0;
    bool hasHalf_ = false;
    uint32_t half_ = 0;

    void step() { state_ = state_ * multiplier + increment_; }
};

/// The emulator's seed for a Gymnasium seed (AtariEnv.seed_game: the second word, as int32).
int32_t emulatorSeed(uint64_t seed) { return int32_t(seedSequenceState(seed, 2)[1]); }

uint64_t randomSeed() {
    std::random_device device;
    return (uint64_t(device()) << 32) | device();
}

// ---------------------------------------------------------------------------------------------
// One game, played as python/a3c_env_host.py's AtariGame plays it.

const char* actionName(ale::Action action) {
    static const char* names[] = {"NOOP", "FIRE", "UP", "RIGHT", "LEFT", "DOWN", "UPRIGHT", "UPLEFT", "DOWNRIGHT",
        "DOWNLEFT", "UPFIRE", "RIGHTFIRE", "LEFTFIRE", "DOWNFIRE", "UPRIGHTFIRE", "UPLEFTFIRE", "DOWNRIGHTFIRE",
        "DOWNLEFTFIRE"};
    int index = int(action);
    return index >= 0 && index < 18 ? names[index] : "UNKNOWN";
}

/// Gymnasium's name of a ROM (ale_py.registration.rom_id_to_name: str.title, underscores dropped).
std::string gameName(const std::string& rom) {
    std::string out;
    bool previousCased = false;
    for (char c : rom) {
        bool letter = std::isalpha(static_cast<unsigned char>(c));
        if (letter) out += previousCased ? char(std::tolower(c)) : char(std::toupper(c));
        else if (c != '_') out += c;
        previousCased = letter;
    }
    return out;
}

fs::path romDirectory(const char* program) {
    if (const char* directory = std::getenv("A3C_ALE_ROMS"); directory && *directory) return directory;
    std::error_code error;
    fs::path self = fs::read_symlink("/proc/self/exe", error);
    if (error) self = fs::absolute(program);
    return self.parent_path() / "roms";
}

fs::path romFor(const std::string& id, const fs::path& directory) {
    const std::string prefix = "ALE/", suffix = "-v5";
    if (id.size() <= prefix.size() + suffix.size() || id.compare(0, prefix.size(), prefix) != 0
        || id.compare(id.size() - suffix.size(), suffix.size(), suffix) != 0)
        throw Error("the native Atari host runs ALE/<Game>-v5 ids, not " + id);
    std::string name = id.substr(prefix.size(), id.size() - prefix.size() - suffix.size());
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(directory, error))
        if (entry.path().extension() == ".bin" && gameName(entry.path().stem().string()) == name) return entry.path();
    throw Error("no ROM for " + id + " in " + directory.string());
}

struct GameSettings {
    fs::path rom;
    int frameSkip = 4, noopMax = 30;
    bool episodicLife = true, fireReset = true, fullActionSpace = false;
    float repeatActionProbability = 0.25f;
    int maxFrames = 108000;
    std::optional<int> mode, difficulty;
};

class Game {
  public:
    explicit Game(const GameSettings& settings) : settings_(settings), rng_(randomSeed()) {
        ale_.setFloat("repeat_action_probability", settings.repeatActionProbability);
        if (settings.maxFrames > 0) ale_.setInt("max_num_frames_per_episode", settings.maxFrames);
        ale_.setInt("random_seed", emulatorSeed(randomSeed()));
        load();
        actions_ = settings.fullActionSpace ? ale_.getLegalActionSet() : ale_.getMinimalActionSet();
        needsFire_ = settings.fireReset && actions_.size() >= 3 && actions_[1] == ale::PLAYER_A_FIRE;
        height_ = int(ale_.getScreen().height());
        width_ = int(ale_.getScreen().width());
        previous_.resize(size_t(height_) * width_);
        rgb_.resize(previous_.size() * 3);
        // ALE's own grey of each palette index, so that screens convert as getScreenGrayscale does.
        uint8_t indices[256];
        for (int i = 0; i < 256; ++i) indices[i] = uint8_t(i);
        ale_.theOSystem->colourPalette().applyPaletteGrayscale(grey_, indices, 256);
    }

    int height() const { return height_; }
    int width() const { return width_; }
    size_t actionCount() const { return actions_.size(); }
    std::string meanings() const {
        std::string out = "[";
        for (size_t i = 0; i < actions_.size(); ++i) out += (i ? ", " : "") + quoted(actionName(actions_[i]));
        return out + "]";
    }
    bool needsFire() const { return needsFire_; }
    int lives() const { return lives_; }
    void attach(uint8_t* observation) { observation_ = observation; }

    void reset(std::optional<uint64_t> seed) {
        if (seed) {
            ale_.setInt("random_seed", emulatorSeed(*seed));
            load();
            ale_.reset_game();
            rng_ = Pcg64(*seed);
        } else {
            ale_.reset_game();  // the first game of an unseeded host, or the next game
        }
        if (settings_.noopMax > 0) {
            int64_t noops = rng_.integers(1, settings_.noopMax + 1);
            for (int64_t i = 0; i < noops; ++i) {
                ale_.act(actions_[0]);
                if (ale_.game_over()) ale_.reset_game();
            }
        }
        if (needsFire_) skip(actions_[1]);
        else grey(observation_);
        lives_ = ale_.lives();
        lifeLost_ = false;
    }

    struct Step {
        double reward;
        int lives;
        bool terminated, truncated, over;
    };

    Step step(uint64_t action) {
        if (action >= actions_.size())
            throw Error("action " + std::to_string(action) + " is out of range for " + std::to_string(actions_.size()) + " actions");
        double reward = skip(actions_[action]);
        int lives = ale_.lives();
        bool truncated = ale_.game_truncated();
        bool over = ale_.game_over(true);
        // A life counts as lost only while some remain (games can show 0 lives before game over).
        lifeLost_ = settings_.episodicLife && lives < lives_ && lives > 0 && !over;
        lives_ = lives;
        return {reward, lives, (over && !truncated) || lifeLost_, truncated, over};
    }

    /// The next episode; returns the points scored on the way (after a lost life only).
    double restart() {
        if (lifeLost_) {
            lifeLost_ = false;
            double points = skip(actions_[0]);
            if (needsFire_ && !ale_.game_over(true)) points += skip(actions_[1]);
            lives_ = ale_.lives();
            if (!ale_.game_over(true)) return points;
        }
        reset(std::nullopt);
        return 0;
    }

    int64_t frameNumber() const { return ale_.getEpisodeFrameNumber(); }

    void render(uint8_t* frame) {
        ale_.getScreenRGB(rgb_);
        std::memcpy(frame, rgb_.data(), rgb_.size());
    }

  private:
    GameSettings settings_;
    ale::ALEInterface ale_;
    ale::ActionVect actions_;
    bool needsFire_ = false;
    int height_ = 0, width_ = 0;
    std::vector<unsigned char> previous_, rgb_;  // previous_: palette indices of the second-last frame
    uint8_t grey_[256];
    uint8_t* observation_ = nullptr;
    Pcg64 rng_;
    int lives_ = 0;
    bool lifeLost_ = false;

    void load() {
        ale_.loadROM(settings_.rom);
        if (settings_.mode) ale_.setMode(ale::game_mode_t(*settings_.mode));
        if (settings_.difficulty) ale_.setDifficulty(ale::difficulty_t(*settings_.difficulty));
    }

    void grey(uint8_t* out) {
        const uint8_t* __restrict screen = ale_.getScreen().getArray();
        uint8_t* __restrict target = out;
        for (size_t i = 0, n = previous_.size(); i < n; ++i) target[i] = grey_[screen[i]];
    }

    /// One agent step: `frameSkip` emulator frames, the maximum of the last two grey screens.
    double skip(ale::Action action) {
        int reward = 0;
        bool grabbed = false;
        for (int i = 0; i < settings_.frameSkip; ++i) {
            reward += ale_.act(action);
            if (i == settings_.frameSkip - 2) {
                std::memcpy(previous_.data(), ale_.getScreen().getArray(), previous_.size());
                grabbed = true;
            }
            if (ale_.game_over()) break;
        }
        if (!grabbed) {
            grey(observation_);
        } else {
            // Local restrict pointers: through the members, every byte store could alias them, and
            // the loop ran one pixel at a time.
            const uint8_t* __restrict before = previous_.data();
            const uint8_t* __restrict screen = ale_.getScreen().getArray();
            uint8_t* __restrict target = observation_;
            for (size_t i = 0, n = previous_.size(); i < n; ++i)
                target[i] = std::max(grey_[before[i]], grey_[screen[i]]);
        }
        return double(reward);
    }
};

// ---------------------------------------------------------------------------------------------
// The protocol.

void writeAll(int fd, const void* data, size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) std::exit(0);  // Swift has gone
        p += n;
        size -= size_t(n);
    }
}

bool readAll(int fd, void* data, size_t size) {
    char* p = static_cast<char*>(data);
    while (size > 0) {
        ssize_t n = ::read(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        size -= size_t(n);
    }
    return true;
}

std::string readLine(int fd) {
    std::string line;
    char c;
    while (readAll(fd, &c, 1) && c != '\n') line += c;
    return line;
}

GameSettings settingsFrom(const Json& config, const char* program) {
    if (config.kind != Json::Object) throw Error("the configuration must be a JSON object");
    const Json* id = config.get("id");
    if (!id || id->kind != Json::String) throw Error("the configuration names no id");
    GameSettings settings;
    settings.rom = romFor(id->text, romDirectory(program));
    settings.frameSkip = int(number(config, "frame_skip", 4));
    settings.noopMax = int(number(config, "noop_max", 30));
    settings.fireReset = number(config, "fire_reset", 1) != 0;
    settings.episodicLife = number(config, "episodic_life", 1) != 0;
    if (settings.frameSkip < 1) throw Error("frame_skip must be at least 1");
    if (const Json* make = config.get("make_kwargs"); make && make->kind == Json::Object) {
        for (const auto& [key, value] : make->fields) {
            if (key == "repeat_action_probability") settings.repeatActionProbability = float(number(*make, key.c_str(), 0.25));
            else if (key == "full_action_space") settings.fullActionSpace = number(*make, key.c_str(), 0) != 0;
            else if (key == "max_num_frames_per_episode") settings.maxFrames = int(number(*make, key.c_str(), 108000));
            else if (key == "mode" && value.kind != Json::Null) settings.mode = int(number(*make, key.c_str(), 0));
            else if (key == "difficulty" && value.kind != Json::Null) settings.difficulty = int(number(*make, key.c_str(), 0));
            else if (key == "mode" || key == "difficulty") continue;
            else throw Error("the native Atari host does not take the make argument " + key);
        }
    }
    return settings;
}

#pragma pack(push, 1)
struct Record {
    double reward, points;
    int32_t lives;
    uint8_t terminated, truncated, over, restarted;
    int64_t frame;
};
#pragma pack(pop)
static_assert(sizeof(Record) == 32, "a reply record is 32 bytes");

int serve(const char* program, const std::string& configText) {
    // Replies go to the original standard output; anything the emulator prints goes to stderr.
    int replyFD = ::dup(1);
    ::dup2(2, 1);
    auto sendLine = [&](const std::string& line) { writeAll(replyFD, (line + "\n").data(), line.size() + 1); };

    ale::Logger::setMode(ale::Logger::Error);
    std::vector<std::unique_ptr<Game>> games;
    size_t count = 1;
    try {
        Json config = JsonParser(configText).document();
        count = size_t(std::max(1.0, number(config, "count", 1)));
        GameSettings settings = settingsFrom(config, program);
        for (size_t i = 0; i < count; ++i) games.push_back(std::make_unique<Game>(settings));
    } catch (const std::exception& error) {
        sendLine("{\"ok\": false, \"error\": " + quoted(std::string("native Atari host: ") + error.what()) + "}");
        return 0;
    }
    const Game& first = *games[0];
    size_t slot = size_t(first.height()) * first.width();
    size_t frameBytes = slot * 3;
    size_t actionOffset = (2 * count * slot + frameBytes + 7) / 8 * 8;
    size_t sharedBytes = actionOffset;
    char greeting[1024];
    std::snprintf(greeting, sizeof greeting,
        "{\"observation_shape\": [%d, %d, 1], \"observation_dtype\": \"uint8\", \"actions\": %zu, "
        "\"frame_shape\": [%d, %d, 3], \"observation_bytes\": %zu, \"needs_fire\": %s, \"max_episode_steps\": null, "
        "\"ok\": true, \"shared_bytes\": %zu, \"action_offset\": %zu, \"host\": \"native ALE %s\", \"action_meanings\": ",
        first.height(), first.width(), first.actionCount(), first.height(), first.width(), slot,
        first.needsFire() ? "true" : "false", sharedBytes, actionOffset, ALE_VERSION);
    sendLine(std::string(greeting) + first.meanings() + "}");

    std::string name = readLine(0);
    if (name.empty()) return 0;
    int fd = ::shm_open(name.c_str(), O_RDWR, 0);
    if (fd < 0) {
        std::fprintf(stderr, "native Atari host: cannot open shared memory %s: %s\n", name.c_str(), std::strerror(errno));
        return 1;
    }
    void* mapped = ::mmap(nullptr, sharedBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    if (mapped == MAP_FAILED) {
        std::fprintf(stderr, "native Atari host: cannot map %zu bytes of shared memory\n", sharedBytes);
        return 1;
    }
    auto* memory = static_cast<uint8_t*>(mapped);
    uint8_t* frame = memory + 2 * count * slot;
    for (size_t i = 0; i < count; ++i) games[i]->attach(memory + i * slot);
    sendLine("\"mapped\"");

    const uint64_t noSeed = UINT64_MAX;
    std::vector<uint8_t> request(8 + 8 * count);
    std::vector<uint8_t> reply(8 + sizeof(Record) * count, 0);
    while (readAll(0, request.data(), request.size())) {
        uint8_t command = request[0];
        int32_t argument;
        std::memcpy(&argument, request.data() + 4, 4);
        if (command == 'Q') return 0;
        try {
            for (size_t i = 0; i < count; ++i) {
                Game& game = *games[i];
                uint64_t value;
                std::memcpy(&value, request.data() + 8 + 8 * i, 8);
                Record record{};
                Game::Step result{0, game.lives(), false, false, false};
                if (command == 'S') {
                    result = game.step(value);
                    if (argument && (result.terminated || result.truncated)) {
                        std::memcpy(memory + (count + i) * slot, memory + i * slot, slot);
                        record.points = game.restart();
                        record.restarted = 1;
                    }
                } else if (command == 'R') {
                    game.reset(value == noSeed ? std::nullopt : std::optional<uint64_t>(value));
                    result.lives = game.lives();
                } else if (command == 'C') {
                    record.points = game.restart();
                    result.lives = game.lives();
                } else if (command == 'F') {
                    if (int32_t(i) == argument) game.render(frame);
                    result.lives = 0;
                } else {
                    throw Error("unknown command " + std::to_string(command));
                }
                record.reward = result.reward;
                record.lives = result.lives;
                record.terminated = result.terminated;
                record.truncated = result.truncated;
                record.over = result.over;
                record.frame = game.frameNumber();
                std::memcpy(reply.data() + 8 + i * sizeof(Record), &record, sizeof(Record));
            }
            writeAll(replyFD, reply.data(), reply.size());
        } catch (const std::exception& error) {
            std::string message = std::string("Error: ") + error.what();
            uint8_t header[8] = {1, 0, 0, 0};
            uint32_t length = uint32_t(message.size());
            std::memcpy(header + 4, &length, 4);
            writeAll(replyFD, header, 8);
            writeAll(replyFD, message.data(), message.size());
            std::fprintf(stderr, "native Atari host: %s\n", error.what());
        }
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 5 && std::strcmp(argv[1], "--draws") == 0) {
        uint64_t seed = std::strtoull(argv[2], nullptr, 10);
        long count = std::strtol(argv[3], nullptr, 10), noopMax = std::strtol(argv[4], nullptr, 10);
        Pcg64 rng(seed);
        std::printf("%d", emulatorSeed(seed));
        for (long i = 0; i < count; ++i) std::printf(" %lld", (long long)rng.integers(1, noopMax + 1));
        std::printf("\n");
        return 0;
    }
    if (argc != 2) {
        std::fprintf(stderr, "usage: a3c-ale-host CONFIG_JSON | --draws SEED N NOOP_MAX\n");
        return 2;
    }
    return serve(argv[0], argv[1]);
}
