import Environments
import Foundation
import Testing

/// Continuous actions through the bridge: two copies in one host, each with its own seed and its
/// own actions (some beyond the bounds), against Gymnasium stepped directly in Python with the same
/// seeds and actions.
@Suite("Gymnasium bridge: continuous actions")
struct ContinuousBridgeTests {
    /// Gymnasium's own observations for `actions[t][i]` on copy `i` reset with `seeds[i]`; a copy
    /// whose episode ends stops there.
    static func gymnasiumObservations(id: String, seeds: [UInt64], actions: [[[Float]]]) throws -> [[[Double]]] {
        let script = """
            import json, sys
            import numpy as np
            import gymnasium as gym
            try:
                import mujoco  # without a warning hook of its own, MuJoCo appends to MUJOCO_LOG.TXT here
                mujoco.set_mju_user_warning(lambda message: None)
            except ImportError:
                pass
            given = json.loads(sys.stdin.read())
            out = []
            for i, seed in enumerate(given["seeds"]):
                env = gym.make(given["id"])
                env.reset(seed=seed)
                rows = []
                for step in given["actions"]:
                    obs, reward, terminated, truncated, _ = env.step(np.array(step[i], dtype=np.float32))
                    rows.append([float(v) for v in obs])
                    if terminated or truncated:
                        break
                out.append(rows)
            print(json.dumps(out))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BridgeLocation.python)
        process.arguments = ["-c", script]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let request: [String: Any] = ["id": id, "seeds": seeds, "actions": actions.map { $0.map { $0.map(Double.init) } }]
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: request))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try #require(try JSONSerialization.jsonObject(with: data) as? [[[Double]]])
    }

    /// Box2D (LunarLanderContinuous, BipedalWalker), classic control and MuJoCo (HalfCheetah never
    /// ends early; Hopper falls and terminates).
    @Test(arguments: [
        ("LunarLanderContinuous-v3", 2, Float(1)), ("gym:MountainCarContinuous-v0", 1, Float(1)), ("BipedalWalker-v3", 4, Float(1)),
        ("HalfCheetah-v5", 6, Float(1)), ("Hopper-v5", 3, Float(1)),
    ])
    func twoCopiesMatchGymnasiumSteppedDirectly(id: String, dimensions: Int, bound: Float) throws {
        let seeds: [UInt64] = [11, 12]
        let gymnasiumID = id.replacingOccurrences(of: "gym:", with: "")
        // MuJoCo's own warning handler would append to this file in the host's directory (ours).
        let mujocoLog = FileManager.default.currentDirectoryPath + "/MUJOCO_LOG.TXT"
        let hadLog = FileManager.default.fileExists(atPath: mujocoLog)
        defer { if !hadLog { #expect(!FileManager.default.fileExists(atPath: mujocoLog), "the host wrote \(mujocoLog)") } }
        let vector = try GymnasiumVectorEnvironment(id: gymnasiumID, count: 2)
        defer { vector.close() }
        #expect(vector.actionSpace == .box(low: Array(repeating: -bound, count: dimensions), high: Array(repeating: bound, count: dimensions)))
        let steps = 40
        // Swinging actions, 1.3 times the bounds at their peaks (the environment clips them).
        let actions: [[[Float]]] = (0..<steps).map { t in
            (0..<2).map { i in (0..<dimensions).map { j in 1.3 * bound * Float(sin(0.3 * Double(t) + Double(i) + 2 * Double(j))) } }
        }
        let expected = try Self.gymnasiumObservations(id: gymnasiumID, seeds: seeds, actions: actions)
        let width = vector.observationSpace.count
        var observations = [Float](repeating: 0, count: 2 * width), finals = observations
        var results = [StepResult](repeating: StepResult(reward: 0, terminated: false, truncated: false), count: 2)
        try vector.reset(seeds: seeds, into: &observations)
        var ended = [false, false], compared = 0
        for t in 0..<steps {
            let flat = actions[t].flatMap { $0 }
            try vector.step(continuous: flat, into: &observations, finalObservations: &finals, results: &results)
            for i in 0..<2 where !ended[i] {
                let ours = results[i].isDone ? Array(finals[(i * width)..<((i + 1) * width)]) : Array(observations[(i * width)..<((i + 1) * width)])
                let theirs = expected[i][t]
                for k in 0..<width {
                    #expect(abs(Double(ours[k]) - theirs[k]) <= 1e-5 * max(1, abs(theirs[k])), "\(id) copy \(i) step \(t) observation \(k)")
                }
                compared += 1
                ended[i] = results[i].isDone
            }
        }
        // Hopper falls within a few dozen steps of these actions (its termination is compared too).
        #expect(compared >= 20, "\(compared) steps compared")
        // A copy that was not told apart from the other would have given the same observations.
        #expect(expected[0] != expected[1])
    }
}
