import Foundation
import Testing

@Suite("a3c train with evaluations and A2C")
struct EvaluationRunTests {
    @Test func evaluationRowsBestCheckpointAndEvenColumns() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-eval-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try CommandLineTests().run([
            "train", "--seed", "3", "--steps", "120000", "--target-return", "100000", "--eval-every", "30000",
            "--eval-episodes", "4", "--eval-greedy", "--quiet", "--out", out.path,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let text = try String(contentsOf: out.appendingPathComponent("metrics.csv"), encoding: .utf8)
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let header = try #require(lines.first).map(String.init)
        for line in lines { #expect(line.count == header.count, "\(line)") }
        let episodes = try #require(header.firstIndex(of: "eval_episodes"))
        let mean = try #require(header.firstIndex(of: "eval_mean_return"))
        let evaluations = lines.filter { $0.first == "eval" }
        #expect(evaluations.count >= 2, "evaluations every 30k steps of 120k")
        for row in evaluations {
            #expect(row[episodes] == "4")
            #expect((Double(row[mean]) ?? 0) >= 8, "a CartPole game lasts at least 8 steps")
        }
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoints/best.safetensors").path))
    }

    @Test func a2cTrainsCartPoleFromTheCommandLine() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-a2c-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try CommandLineTests().run([
            "train", "--algo", "a2c", "--envs-per-worker", "8", "--seed", "1", "--quiet", "--out", out.path,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.hasPrefix("solved:"), "\(result.standardOutput)")
        let config = try String(contentsOf: out.appendingPathComponent("config.json"), encoding: .utf8)
        #expect(config.contains("\"algo\" : \"a2c\""))
    }
}
