import Environments
import Foundation
import Testing

/// The native Atari host (native/ale-host) against the Python host it replaces: the same seeds and
/// actions give the same screens, rewards, lives, episode ends and frame numbers, step for step.
/// scripts/setup.sh builds the native host; without it these tests fail and say so.
@Suite("Native Atari host")
struct NativeAtariHostTests {
    static func nativeHost() throws -> String {
        try #require(BridgeLocation.nativeAtariHost, "the native Atari host is not built: run scripts/setup.sh")
    }

    static func hosts(_ id: String, count: Int, makeArguments: [String: Any], noopMax: Int = 30) throws -> [GymnasiumHost] {
        let options: [String: Any] = [
            "frame_skip": 4, "noop_max": noopMax, "fire_reset": true, "episodic_life": true, "make_kwargs": makeArguments,
        ]
        return [
            try GymnasiumHost(id: id, mode: "atari", count: count, options: options, program: .python),
            try GymnasiumHost(id: id, mode: "atari", count: count, options: options, program: .nativeAtari(try nativeHost())),
        ]
    }

    /// Every byte of shared memory the observations use, and every reply, agree.
    static func expectSame(_ python: GymnasiumHost, _ native: GymnasiumHost, at step: Int) -> Bool {
        let bytes = 2 * python.count * python.description.observation_bytes
        let screens = memcmp(python.shared, native.shared, bytes) == 0
        let replies = "\(python.replies)" == "\(native.replies)"
        #expect(screens, "step \(step): the screens differ")
        #expect(replies, "step \(step): python \(python.replies) native \(native.replies)")
        return screens && replies
    }

    struct Ends: CustomStringConvertible {
        var lostLives = 0, games = 0, truncations = 0, points = 0.0
        var description: String { "\(lostLives) lost lives, \(games) games over, \(truncations) truncations, \(points) points" }
    }

    /// Steps both hosts with the same random actions (autoreset on), and every `restartEvery`th
    /// end without autoreset and with an explicit restart instead.
    static func play(_ python: GymnasiumHost, _ native: GymnasiumHost, seeds: [UInt64], steps: Int) throws -> Ends {
        try python.reset { seeds[$0] }
        try native.reset { seeds[$0] }
        guard expectSame(python, native, at: 0) else { return Ends() }
        var generator = SplitMix(seed: seeds[0])
        let actions = python.description.actions
        var chosen = [Int32](repeating: 0, count: python.count)
        var ends = Ends()
        for step in 1...steps {
            for i in chosen.indices { chosen[i] = Int32(generator.next() % UInt64(actions)) }
            let autoreset = step % 7 != 0
            try python.step(chosen, autoreset: autoreset)
            try native.step(chosen, autoreset: autoreset)
            guard expectSame(python, native, at: step) else { return ends }
            var ended = false
            for reply in python.replies {
                ends.points += reply.reward + reply.pointsAfter
                if reply.terminated || reply.truncated {
                    ended = true
                    if reply.truncated { ends.truncations += 1 } else if reply.gameOver { ends.games += 1 } else { ends.lostLives += 1 }
                }
            }
            if ended && !autoreset {
                try python.restart()
                try native.restart()
                guard expectSame(python, native, at: step) else { return ends }
            }
            if step % 250 == 0 {
                try python.renderFrame(1)
                try native.renderFrame(1)
                #expect(python.sharedFrame() == native.sharedFrame(), "step \(step): the colour pictures differ")
            }
        }
        return ends
    }

    /// Breakout's lives and FIRE, and short games so that truncation comes too.
    @Test func breakoutPlaysTheSameGames() throws {
        let hosts = try Self.hosts("ALE/Breakout-v5", count: 2, makeArguments: ["repeat_action_probability": 0.0, "max_num_frames_per_episode": 600])
        defer { hosts.forEach { $0.close() } }
        #expect(hosts[0].description.action_meanings == hosts[1].description.action_meanings)
        #expect(hosts[1].description.needs_fire && hosts[1].programDescription.hasPrefix("native ALE"))
        let ends = try Self.play(hosts[0], hosts[1], seeds: [3, 4], steps: 1_500)
        #expect(ends.lostLives >= 10 && ends.games >= 1 && ends.truncations >= 1, "\(ends)")
    }

    /// Pong: points both ways, whole games, seeds past 32 bits.
    @Test func pongPlaysTheSameGames() throws {
        let hosts = try Self.hosts("ALE/Pong-v5", count: 2, makeArguments: ["repeat_action_probability": 0.0])
        defer { hosts.forEach { $0.close() } }
        let ends = try Self.play(hosts[0], hosts[1], seeds: [1 << 40 + 17, 0], steps: 2_000)
        #expect(ends.points != 0 && ends.games >= 1, "\(ends)")
    }

    /// Sticky actions: the emulator's own random repeats, drawn from the seeded emulator.
    @Test func stickyActionsRepeatTheSameWay() throws {
        let hosts = try Self.hosts("ALE/SpaceInvaders-v5", count: 2, makeArguments: ["repeat_action_probability": 0.25])
        defer { hosts.forEach { $0.close() } }
        let ends = try Self.play(hosts[0], hosts[1], seeds: [21, 22], steps: 1_500)
        #expect(ends.lostLives >= 2 && ends.points > 0, "\(ends)")
    }

    /// The no-op counts and the emulator seed against NumPy's SeedSequence and PCG64 directly.
    @Test func seedsAndNoOpCountsAreNumPys() throws {
        let native = try Self.nativeHost()
        for seed: UInt64 in [0, 1, 7, 4_294_967_295, 1 << 40 + 17, UInt64.max - 1] {
            let ours = try Self.output(native, ["--draws", "\(seed)", "12", "30"])
            let numpy = try Self.output(BridgeLocation.python, [
                "-c",
                "import numpy as np; s = np.random.SeedSequence(\(seed)).generate_state(2)[1]; r = np.random.default_rng(\(seed)); "
                    + "print(' '.join([str(int(np.int32(s)))] + [str(int(r.integers(1, 31))) for _ in range(12)]))",
            ])
            #expect(ours == numpy, "seed \(seed)")
        }
    }

    @Test func idsAndArgumentsItCannotRunAreOneLineErrors() throws {
        _ = try Self.nativeHost()
        let unknown = #expect(throws: BridgeError.self) {
            try GymnasiumHost(id: "ALE/NoSuchGame-v5", mode: "atari", program: .nativeAtari(try Self.nativeHost()))
        }
        #expect(unknown?.description.contains("no ROM for ALE/NoSuchGame-v5") == true, "\(String(describing: unknown))")
        var options = AtariOptions()
        options.host = .native
        let wrongArgument = #expect(throws: BridgeError.self) {
            try GymnasiumVectorEnvironment(atari: "ALE/Pong-v5", options: options, count: 1, makeArguments: ["obs_type": "rgb"])
        }
        #expect(wrongArgument?.description == "ALE/Pong-v5: --atari-host native cannot run it: it does not take obs_type")
        options.host = .auto
        let fallback = try GymnasiumVectorEnvironment(atari: "ALE/Pong-v5", options: options, count: 1, makeArguments: ["obs_type": "rgb"])
        defer { fallback.close() }
        #expect(fallback.hostDescription == "Python (Gymnasium)")
        // What the native host runs, auto gives it.
        let plain = try GymnasiumVectorEnvironment(atari: "ALE/Pong-v5", options: options, count: 1, makeArguments: [:])
        defer { plain.close() }
        #expect(plain.hostDescription.hasPrefix("native ALE"), "\(plain.hostDescription)")
    }

    static func output(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// SplitMix64: the tests' own action stream.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
