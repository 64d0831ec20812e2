import Foundation
import Testing

@Suite("a3c train with evaluations and A2C")
struct EvaluationRunTests {
    /// The run's metrics.csv as its header and its rows split into fields; every row must have the
    /// header's number of columns.
    static func metrics(of run: URL) throws -> (header: [String], lines: [[Substring]]) {
        let text = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8)
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let header = try #require(lines.first).map(String.init)
        for line in lines { #expect(line.count == header.count, "\(line)") }
        return (header, lines)
    }

    @Test func evaluationRowsBestCheckpointAndEvenColumns() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-eval-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try CommandLineTests().run([
            "train", "--seed", "3", "--steps", "120000", "--target-return", "100000", "--eval-every", "30000",
            "--eval-episodes", "4", "--eval-greedy", "--quiet", "--out", out.path,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let (header, lines) = try Self.metrics(of: out)
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

    /// A Gaussian policy's update rows carry its mean σ where a categorical policy's carry the
    /// largest probability; every row still has the header's columns. Rows every 0.05 s: on a fast
    /// machine the run takes under a second.
    @Test func continuousRunsLogTheirSigma() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-sigma-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try CommandLineTests().run(["train", "--env", "Pendulum-v1", "--steps", "200000", "--log-every", "0.05", "--quiet", "--out", out.path])
        #expect(result.status == 0, "\(result.standardError)")
        let (header, lines) = try Self.metrics(of: out)
        let sigma = try #require(header.firstIndex(of: "action_std"))
        let largest = try #require(header.firstIndex(of: "max_probability"))
        let updates = lines.filter { $0.first == "update" && !$0[header.firstIndex(of: "policy_loss")!].isEmpty }
        #expect(!updates.isEmpty)
        for row in updates {
            #expect(row[largest].isEmpty)
            #expect((Double(row[sigma]) ?? 0) > 0, "\(row)")
        }
        // The policy exports as means and σ (the graph itself is checked in onnxruntime elsewhere).
        let onnx = out.appendingPathComponent("pendulum.onnx")
        let exported = try CommandLineTests().run(["export", out.path, "--onnx", onnx.path])
        #expect(exported.status == 0, "\(exported.standardError)")
        #expect(exported.standardOutput.contains("observation [batch, 3] -> action_mean and action_std [batch, 1], value [batch, 1]"), "\(exported.standardOutput)")
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
