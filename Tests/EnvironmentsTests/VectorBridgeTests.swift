import Environments
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The vectorised Gymnasium host against separate environments, with real ROMs and scenarios.
@Suite("Gymnasium bridge: vectorised hosts")
struct VectorBridgeTests {
    /// Three Breakout games in one host, against three single environments stepped with the same
    /// actions and reset explicitly: every observation, result and final observation agrees.
    @Test func vectorHostMatchesSeparateEnvironments() throws {
        // Short games (600 frames) so that episodes end by truncation as well as by lost lives.
        let arguments: [String: Any] = ["max_num_frames_per_episode": 600]
        let vector = try GymnasiumVectorEnvironment(atari: "ALE/Breakout-v5", count: 3, makeArguments: arguments)
        defer { vector.close() }
        let singles = try (0..<3).map { _ in try AtariEnvironment(id: "ALE/Breakout-v5", makeArguments: arguments) }
        defer { singles.forEach { $0.close() } }
        let ends = try Self.compare(vector, singles, seeds: [11, 12, 13], steps: 700) { i in
            #expect(vector.episodeFrameNumber(i) == singles[i].episodeFrameNumber)
        }
        #expect(ends.lostLives >= 3 && ends.truncations >= 3 && ends.games >= 1, "\(ends)")
        #expect(Set(ends.steps.map { $0.prefix(2) }).count == 3, "episodes end at different steps: \(ends.steps)")
    }

    /// The same through the registry's vector factory: float observations (unclipped rewards) and
    /// ViZDoom's pictures (clipped rewards, time-outs).
    @Test(arguments: [("gym:CartPole-v1", 300), ("VizdoomBasic-v1", 120)])
    func registryVectorMatchesSeparateEnvironments(id: String, steps: Int) throws {
        let spec = try EnvironmentRegistry.spec(id)
        let vector = try spec.makeVector(count: 3)
        defer { vector.close() }
        let singles = try (0..<3).map { _ in try spec.make() }
        defer { singles.forEach { $0.close() } }
        let ends = try Self.compare(vector, singles, seeds: [5, 6, 7], steps: steps)
        #expect(Set(ends.steps.map { $0.prefix(2) }).count >= 2, "episodes end at different steps: \(ends.steps)")
    }

    struct Ends: CustomStringConvertible {
        var steps: [[Int]]
        var lostLives = 0, truncations = 0, games = 0
        var description: String { "lost lives \(lostLives), truncations \(truncations), games \(games)" }
    }

    /// Steps `vector` and `singles` with the same pseudo-random actions, resetting the singles
    /// explicitly when done, and records the first difference; `each(i)` runs after every step of `i`.
    static func compare(
        _ vector: any VectorEnvironment, _ singles: [any Environment], seeds: [UInt64], steps: Int, each: (Int) -> Void = { _ in }
    ) throws -> Ends {
        let n = vector.count, width = vector.observationSpace.count
        var observations = [Float](repeating: 0, count: n * width)
        var finals = [Float](repeating: 0, count: n * width)
        var results = [StepResult](repeating: StepResult(reward: 0, terminated: false, truncated: false), count: n)
        var actions = [Int32](repeating: 0, count: n)
        try observations.withUnsafeMutableBufferPointer { try vector.reset(seeds: seeds, into: $0.baseAddress!) }
        var expected = try (0..<n).map { try singles[$0].reset(seed: seeds[$0]) }
        for i in 0..<n { #expect(Array(observations[i * width..<(i + 1) * width]) == expected[i], "reset \(i)") }
        var ends = Ends(steps: Array(repeating: [], count: n))
        var random: UInt64 = 7
        for t in 0..<steps {
            for i in 0..<n {
                random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                actions[i] = Int32((random >> 33) % UInt64(vector.actionCount))
            }
            try observations.withUnsafeMutableBufferPointer { rows in
                try finals.withUnsafeMutableBufferPointer { finalRows in
                    try results.withUnsafeMutableBufferPointer {
                        try vector.step(actions, into: rows.baseAddress!, finalObservations: finalRows.baseAddress!, results: $0.baseAddress!)
                    }
                }
            }
            for i in 0..<n {
                let (observation, result) = try singles[i].step(Int(actions[i]))
                guard result == results[i] else {
                    Issue.record("environment \(i) step \(t): \(results[i]) against \(result)")
                    return ends
                }
                let row = i * width..<(i + 1) * width
                if result.isDone {
                    ends.steps[i].append(t)
                    if result.truncated { ends.truncations += 1 } else if result.gameOver { ends.games += 1 } else { ends.lostLives += 1 }
                    guard Array(finals[row]) == observation else {
                        Issue.record("environment \(i) step \(t): the final observation differs")
                        return ends
                    }
                    expected[i] = try singles[i].reset(seed: nil)
                } else {
                    expected[i] = observation
                }
                guard Array(observations[row]) == expected[i] else {
                    Issue.record("environment \(i) step \(t): the observation differs (done: \(result.isDone))")
                    return ends
                }
                each(i)
            }
        }
        return ends
    }

    @Test func aKilledVectorHostIsAOneLineError() throws {
        let vector = try GymnasiumVectorEnvironment(atari: "ALE/Pong-v5", count: 3)
        defer { vector.close() }
        let width = vector.observationSpace.count
        var observations = [Float](repeating: 0, count: 3 * width), finals = observations
        var results = [StepResult](repeating: StepResult(reward: 0, terminated: false, truncated: false), count: 3)
        let actions: [Int32] = [1, 2, 3]
        func step() throws {
            try observations.withUnsafeMutableBufferPointer { rows in
                try finals.withUnsafeMutableBufferPointer { finalRows in
                    try results.withUnsafeMutableBufferPointer {
                        try vector.step(actions, into: rows.baseAddress!, finalObservations: finalRows.baseAddress!, results: $0.baseAddress!)
                    }
                }
            }
        }
        try observations.withUnsafeMutableBufferPointer { try vector.reset(seeds: [1, 2, 3], into: $0.baseAddress!) }
        for _ in 0..<10 { try step() }
        kill(vector.hostProcessIdentifier, SIGKILL)
        let start = Date()
        do {
            try step()
            Issue.record("stepping a dead host succeeded")
        } catch {
            let message = "\(error)"
            #expect(message.contains("ALE/Pong-v5") && message.contains("signal 9") && !message.contains("\n"), "\(message)")
        }
        #expect(Date().timeIntervalSince(start) < 5)
    }

    /// VizdoomBasic's 300-tic time-out, standing still: truncated, not terminated, in a single
    /// environment and in a vector (where it is also reset at once); rewards clipped, scores not.
    @Test func vizdoomTimeOutIsTruncated() throws {
        let single = try EnvironmentRegistry.make("VizdoomBasic-v1")
        defer { single.close() }
        _ = try single.reset(seed: 1)
        var last = StepResult(reward: 0, terminated: false, truncated: false), steps = 0
        while !last.isDone && steps < 1000 {
            last = try single.step(0).result
            steps += 1
            #expect(last.reward == max(-1, min(1, last.score)))
            #expect(last.score < -1 || last.isDone, "living reward -1 per tic, 4 tics per step: \(last.score)")
        }
        #expect(last.truncated && !last.terminated, "\(last) after \(steps) steps")

        let vector = try EnvironmentRegistry.spec("VizdoomBasic-v1").makeVector(count: 2)
        defer { vector.close() }
        let width = vector.observationSpace.count
        var observations = [Float](repeating: 0, count: 2 * width), finals = observations
        var results = [StepResult](repeating: StepResult(reward: 0, terminated: false, truncated: false), count: 2)
        let actions: [Int32] = [0, 0]
        try observations.withUnsafeMutableBufferPointer { try vector.reset(seeds: [1, 2], into: $0.baseAddress!) }
        var vectorSteps = 0
        while !results[0].isDone && vectorSteps < 1000 {
            try observations.withUnsafeMutableBufferPointer { rows in
                try finals.withUnsafeMutableBufferPointer { finalRows in
                    try results.withUnsafeMutableBufferPointer {
                        try vector.step(actions, into: rows.baseAddress!, finalObservations: finalRows.baseAddress!, results: $0.baseAddress!)
                    }
                }
            }
            vectorSteps += 1
        }
        #expect(vectorSteps == steps)
        #expect(results.allSatisfy { $0.truncated && !$0.terminated }, "\(results)")
        #expect(finals[0..<width] != observations[0..<width], "the final observation is the old episode's")
        #expect(stride(from: 3, to: width, by: 4).contains { finals[$0] > 0 }, "the newest frame: the last screen, not ViZDoom's black one")
    }

    /// No-op starts are 1 to noop_max single emulator frames, then FIRE (one agent step of 4 frames).
    @Test func noopStartsAreSingleFrames() throws {
        var noFire = AtariOptions()
        noFire.fireReset = false
        for (options, fireFrames) in [(noFire, 0), (AtariOptions(), 4)] {
            let env = try AtariEnvironment(id: "ALE/Pong-v5", options: options)
            defer { env.close() }
            var frames: [Int] = []
            for seed in 1...12 {
                _ = try env.reset(seed: UInt64(seed))
                frames.append(env.episodeFrameNumber - fireFrames)
            }
            #expect(frames.allSatisfy { (1...options.noopMax).contains($0) }, "\(frames)")
            #expect(frames.contains { $0 % 4 != 0 }, "\(frames)")
        }
    }
}

/// Agent steps per second of one vectorised Pong host with random actions, no network. A
/// measurement, not a test: runs only with A3C_VECTOR_BENCH set (e.g. "1,8,16"; A3C_VECTOR_BENCH_SECONDS).
@Suite("Vectorised host speed")
struct VectorHostSpeed {
    static let counts = ProcessInfo.processInfo.environment["A3C_VECTOR_BENCH"]

    @Test(.enabled(if: counts != nil)) func pongStepsPerSecond() throws {
        let seconds = Double(ProcessInfo.processInfo.environment["A3C_VECTOR_BENCH_SECONDS"] ?? "") ?? 5
        for n in (Self.counts ?? "").split(separator: ",").compactMap({ Int($0) }) {
            let vector = try GymnasiumVectorEnvironment(atari: "ALE/Pong-v5", count: n)
            defer { vector.close() }
            let width = vector.observationSpace.count
            var observations = [Float](repeating: 0, count: n * width), finals = observations
            var results = [StepResult](repeating: StepResult(reward: 0, terminated: false, truncated: false), count: n)
            var actions = [Int32](repeating: 0, count: n)
            try observations.withUnsafeMutableBufferPointer { try vector.reset(seeds: (0..<n).map { UInt64($0 + 1) }, into: $0.baseAddress!) }
            var random: UInt64 = 1, steps = 0
            let start = Date()
            while Date().timeIntervalSince(start) < seconds {
                for _ in 0..<10 {
                    for i in 0..<n {
                        random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                        actions[i] = Int32((random >> 33) % 6)
                    }
                    try observations.withUnsafeMutableBufferPointer { rows in
                        try finals.withUnsafeMutableBufferPointer { finalRows in
                            try results.withUnsafeMutableBufferPointer {
                                try vector.step(actions, into: rows.baseAddress!, finalObservations: finalRows.baseAddress!, results: $0.baseAddress!)
                            }
                        }
                    }
                    steps += n
                }
            }
            let rate = Double(steps) / Date().timeIntervalSince(start)
            print("vector host, Pong, N = \(n): \(Int(rate)) agent steps/s (\(Int(rate / Double(n))) per environment)")
        }
    }
}
