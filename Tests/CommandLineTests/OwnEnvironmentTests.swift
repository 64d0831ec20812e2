import Foundation
import Testing

/// A Python environment of the user's own, reached as docs/your-own-environment.md says: a module
/// on PYTHONPATH that registers its id with Gymnasium, named as `module:id`.
@Suite("an environment of the user's own, in Python")
struct OwnEnvironmentTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test func aModuleOnThePythonPathTrainsThroughItsModuleAndID() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("own-env-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: directory)
            try? FileManager.default.removeItem(atPath: directory.path + ".json")
        }
        let process = Process()
        process.executableURL = CommandLineTests.binary
        process.arguments = [
            "train", "--env", "corridor_env:Corridor-v0", "--seed", "1", "--steps", "400000",
            "--out", directory.path, "--summary-json", directory.path + ".json",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = [Self.fixtures.path, environment["PYTHONPATH"]].compactMap { $0 }.joined(separator: ":")
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")

        let summary = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: directory.path + ".json"))) as? [String: Any]
        // The registry's reward threshold (0.9) is the target: only walking straight right reaches it.
        #expect(summary?["solved"] as? Bool == true, "\(text)")
        #expect(summary?["env"] as? String == "corridor_env:Corridor-v0")
        #expect((summary?["mean_return_100"] as? Double ?? 0) >= 0.9)
    }
}
