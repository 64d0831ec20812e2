import Foundation
import Testing

/// Runs the built `a3c` executable as a user would.
@Suite("a3c command line")
struct CommandLineTests {
    struct Result {
        let status: Int32
        let standardOutput: String
        let standardError: String
    }

    /// The `a3c` binary next to the test bundle (SwiftPM builds it first: the tests depend on it).
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["A3C_BINARY"] { return URL(fileURLWithPath: path) }
        var directory = Bundle.main.bundleURL
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("a3c")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("a3c")
    }

    func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
            standardError: String(decoding: errData, as: UTF8.self))
    }

    @Test(arguments: [
        ["train", "--env", "NoSuchEnv-v0"],
        ["train", "--workers", "0"],
        ["train", "--gamma", "2"],
        ["train", "--lr", "abc"],
        ["train", "--hidden", "64,x"],
        ["train", "--optimizer", "sgd"],
        ["train", "--bogus"],
        ["frobnicate"],
        ["train", "--env", "ALE/Pong-v5", "--crop", "200,200,0,0"],
        ["train", "--env", "ALE/Pong-v5", "--frame-size", "100x160"],
        ["train", "--frame-skip", "8"],
        ["train", "--env", "VizdoomBasic-v1", "--sticky-actions", "0.25"],
        ["train", "--max-host-restarts=-1"],
        ["train", "--out", "/dev/null"],
        ["export", "/nonexistent-run", "--onnx", "/tmp/x.onnx"],
        ["train", "--summary-json", "/nonexistent-directory/summary.json"],
        ["train", "--lstm-size", "0"],
        ["train", "--env", "ALE/Pong-v5", "--normalize-observations"],
        ["train", "--network", "universe"],
        ["train", "--env", "ALE/Pong-v5", "--network", "universe", "--crop", "0,0,100,60"],
        ["train", "--picture-activation", "elu"],
        ["train", "--env", "ALE/Pong-v5", "--picture-activation", "swish"],
    ])
    func badInputIsOneLineAndNonZero(arguments: [String]) throws {
        let result = try run(arguments)
        #expect(result.status != 0)
        let lines = result.standardError.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.standardError)")
        #expect(lines.first?.hasPrefix("a3c: error:") == true)
        #expect(result.standardOutput.isEmpty)
    }

    /// A checkpoint whose last bytes were overwritten with 0xff (NaN) is refused by `eval`, `record`,
    /// `export` and `--resume`, each in one line naming the tensor, and nothing is written.
    @Test func aCheckpointHoldingNaNIsRefusedEverywhere() throws {
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-nan-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: run) }
        let trained = try self.run(["train", "--steps", "20000", "--target-return", "10000", "--seed", "2", "--quiet", "--out", run.path])
        #expect(trained.status == 0, "\(trained.standardError)")
        let checkpoint = run.appendingPathComponent("checkpoints/latest.safetensors")
        var bytes = try Data(contentsOf: checkpoint)
        bytes.replaceSubrange((bytes.count - 40)..<bytes.count, with: Data(repeating: 0xff, count: 40))
        try bytes.write(to: checkpoint)
        let onnx = run.appendingPathComponent("x.onnx"), gif = run.appendingPathComponent("x.gif")
        for arguments in [
            ["eval", run.path, "--episodes", "1"], ["record", run.path, "--out", gif.path], ["export", run.path, "--onnx", onnx.path],
            ["train", "--resume", run.path, "--steps", "40000"],
        ] {
            let result = try self.run(arguments)
            #expect(result.status != 0, "\(arguments[0])")
            let lines = result.standardError.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("a3c: error:") && lines[0].hasSuffix("optimizer.rmsprop.square_average holds NaN"),
                    "\(arguments[0]): \(result.standardError)")
        }
        #expect(!FileManager.default.fileExists(atPath: onnx.path) && !FileManager.default.fileExists(atPath: gif.path))
    }

    /// Foundation's "NSCocoaErrorDomain error 512" never reaches the user: the cause, in words.
    @Test func outNamingAFileSaysSo() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-file-\(UUID().uuidString)")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try run(["train", "--out", file.path])
        #expect(result.status != 0)
        #expect(result.standardError == "a3c: error: \(file.path) is a file; --out names the directory a run is written to\n")
        let below = try run(["train", "--out", file.appendingPathComponent("run").path])
        #expect(below.standardError.contains("\(file.path) is a file, not a directory"), "\(below.standardError)")
        #expect(!below.standardError.contains("Domain"))
    }

    @Test func unknownEnvironmentNamesTheKnownOnes() throws {
        let result = try run(["train", "--env", "NoSuchEnv-v0"])
        #expect(result.standardError.contains("CartPole-v1"))
    }

    @Test func helpDocumentsEveryOptionAndItsDefault() throws {
        let result = try run(["train", "--help"])
        #expect(result.status == 0)
        // Help wraps to the terminal's width: compare with whitespace runs collapsed.
        let help = result.standardOutput.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for option in [
            "--env", "--workers", "--steps", "--seed", "--lr", "--t-max", "--gamma", "--entropy-beta",
            "--target-return", "--summary-json", "--optimizer", "--gae-lambda", "--value-coef", "--max-grad-norm",
        ] {
            #expect(help.contains(option), "help lacks \(option)")
        }
        #expect(help.contains("default: CartPole-v1"))
        #expect(help.contains("(default: 0.99)"))
        #expect(help.contains("(default: 1000000)"))
    }

    @Test func envsListsTheNativeEnvironments() throws {
        let result = try run(["envs"])
        #expect(result.status == 0)
        for id in ["CartPole-v1", "Acrobot-v1", "MountainCar-v0"] { #expect(result.standardOutput.contains(id)) }
    }

    /// Bridged ids are made in Gymnasium and described with their real action spaces.
    @Test func envsDescribesBridgedActionSpaces() throws {
        let mujocoLog = FileManager.default.currentDirectoryPath + "/MUJOCO_LOG.TXT"
        let hadLog = FileManager.default.fileExists(atPath: mujocoLog)
        let result = try run(["envs", "HalfCheetah-v5", "LunarLander-v3", "Nope-v9"])
        #expect(result.status == 0, "\(result.standardError)")
        if !hadLog { #expect(!FileManager.default.fileExists(atPath: mujocoLog), "a3c envs left \(mujocoLog)") }
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.contains { $0.contains("HalfCheetah-v5") && $0.contains("6 continuous actions in [-1, 1], observations 17; limit 1000") })
        #expect(lines.contains { $0.contains("LunarLander-v3") && $0.contains("4 discrete actions, observations 8") })
        #expect(lines.contains { $0.contains("Nope-v9") && $0.contains("cannot be made here") })
        let none = try run(["envs", "Nope-v9"])
        #expect(none.status != 0)
        #expect(none.standardError.contains("none of Nope-v9 can be made"), "\(none.standardError)")
    }

    @Test func trainWritesTheSummaryJSON() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-summary-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: path) }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-run-\(UUID())")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try run(["train", "--seed", "2", "--summary-json", path.path, "--out", out.path])
        #expect(result.status == 0, "stderr: \(result.standardError)")
        #expect(result.standardOutput.contains("steps/s"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as! [String: Any]
        #expect(json["env"] as? String == "CartPole-v1")
        #expect(json["solved"] as? Bool == true)
        #expect((json["mean_return_100"] as? Double ?? 0) >= 475)
        for key in ["steps", "episodes", "wall_seconds"] { #expect(json[key] != nil, "missing \(key)") }
    }
}
