import ActorCritic
import Foundation
import RunArtifacts
import Testing

@Suite("safetensors checkpoints")
struct CheckpointTests {
    /// A briefly trained CartPole agent, so that parameters and optimizer state are not trivial.
    static func trainedState() throws -> (Trainer, TrainingState) {
        var config = TrainingConfig()
        config.workers = 1
        config.seed = 9
        config.totalSteps = 5000
        config.targetReturn = 10_000
        let trainer = try Trainer(config: config)
        _ = try trainer.run()
        return (trainer, trainer.snapshot())
    }

    @Test func pythonSafetensorsReadsEveryTensorAndTheMetadata() throws {
        let (trainer, state) = try Self.trainedState()
        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("checkpoint.safetensors")
        try Checkpoint.write(state, config: trainer.config, model: trainer.model, packageVersion: "test", to: url)

        let json = try PythonReader.read("safetensors", url.path)
        let tensors = try #require(json["tensors"] as? [String: [String: Any]])
        let metadata = try #require(json["metadata"] as? [String: String])
        #expect(metadata["steps"] == "\(state.steps)")
        #expect(metadata["env"] == "CartPole-v1")
        // Layers 0, 2, 4 of the 4-64-64-3 MLP: PyTorch-style names and shapes.
        #expect(tensors["network.0.weight"]?["shape"] as? [Int] == [64, 4])
        #expect(tensors["network.2.weight"]?["shape"] as? [Int] == [64, 64])
        #expect(tensors["network.4.weight"]?["shape"] as? [Int] == [3, 64])
        #expect(tensors["network.4.bias"]?["shape"] as? [Int] == [3])
        var flat: [Float] = []
        for name in ["network.0.weight", "network.0.bias", "network.2.weight", "network.2.bias", "network.4.weight", "network.4.bias"] {
            #expect(tensors[name]?["dtype"] as? String == "float32")
            flat += (tensors[name]?["values"] as? [Double] ?? []).map(Float.init)
        }
        #expect(flat == state.parameters)
        let square = (tensors["optimizer.rmsprop.square_average"]?["values"] as? [Double] ?? []).map(Float.init)
        #expect(square == state.optimizerState["rmsprop.square_average"])
        #expect(square.contains { $0 > 0 })
    }

    @Test func roundTripRestoresEverything() throws {
        let (trainer, state) = try Self.trainedState()
        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("c.safetensors")
        try Checkpoint.write(state, config: trainer.config, model: trainer.model, packageVersion: "test", to: url)
        let contents = try Checkpoint.read(url)
        #expect(contents.config == trainer.config)
        #expect(contents.state.parameters == state.parameters)
        #expect(contents.state.optimizerState == state.optimizerState)
        #expect(contents.state.steps == state.steps && contents.state.episodes == state.episodes)
        #expect(contents.state.recentReturns == state.recentReturns)
        try contents.verifyShapes(match: trainer.model)
        // No temporary files left behind by the atomic write.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["c.safetensors"])
    }

    static func file(header: String, dataBytes: Int) -> Data {
        var data = Data()
        var length = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(Data(repeating: 0, count: dataBytes))
        return data
    }

    /// A checkpoint whose bytes were damaged into NaN is refused in one line naming the tensor; a
    /// state holding NaN is never written, and the file keeps the last good checkpoint.
    @Test func nonFiniteTensorsAreRefused() throws {
        let (trainer, state) = try Self.trainedState()
        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("c.safetensors")
        try Checkpoint.write(state, config: trainer.config, model: trainer.model, packageVersion: "test", to: url)
        let good = try Data(contentsOf: url)
        var damaged = good
        damaged.replaceSubrange((damaged.count - 40)..<damaged.count, with: Data(repeating: 0xff, count: 40))
        try damaged.write(to: url)
        // The last tensor written is the optimizer's square average.
        let refused = #expect(throws: ArtifactError.self) { try Checkpoint.read(url) }
        #expect(refused?.description == "checkpoint \(url.path): optimizer.rmsprop.square_average holds NaN")

        try good.write(to: url)
        var poisoned = state
        poisoned.parameters[64 * 4] = .infinity
        let unwritten = #expect(throws: ArtifactError.self) {
            try Checkpoint.write(poisoned, config: trainer.config, model: trainer.model, packageVersion: "test", to: url)
        }
        #expect(unwritten?.description == "checkpoint \(url.path) not written: network.0.bias holds infinity")
        #expect(try Checkpoint.read(url).state.parameters == state.parameters)
    }

    @Test func tensorsInAnotherWritersOrderLoadByName() throws {
        // Python's safetensors writes tensors sorted by name: bias before weight, "network.10" before "network.2".
        let (trainer, state) = try Self.trainedState()
        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("c.safetensors")
        try Checkpoint.write(state, config: trainer.config, model: trainer.model, packageVersion: "test", to: url)
        var file = try SafeTensors.read(url)
        file.tensors.sort { $0.name < $1.name }
        #expect(file.tensors.first?.name == "network.0.bias")
        try SafeTensors.write(file, to: url)
        #expect(try Checkpoint.read(url).state.parameters == state.parameters)
    }

    @Test func anotherNetworkShapeIsRefused() throws {
        let (trainer, state) = try Self.trainedState()
        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("c.safetensors")
        try Checkpoint.write(state, config: trainer.config, model: trainer.model, packageVersion: "test", to: url)
        let other = try ActorCriticModel(architecture: .mlp, observationShape: [4], actionCount: 2, hiddenSizes: [32, 32])
        #expect(throws: ArtifactError.self) { try Checkpoint.read(url).verifyShapes(match: other) }
    }

    /// An LSTM checkpoint read for a feed-forward network (and the other way round) says so in words.
    @Test func recurrentAndFeedForwardCheckpointsAreToldApart() throws {
        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let recurrent = try ActorCriticModel(architecture: .mlpLSTM, observationShape: [4], actionCount: 2)
        let feedForward = try ActorCriticModel(architecture: .mlp, observationShape: [4], actionCount: 2)
        for (saved, read, words) in [(recurrent, feedForward, "holds a recurrent network"), (feedForward, recurrent, "holds a feed-forward network")] {
            let state = TrainingState(
                parameters: [Float](repeating: 0.5, count: saved.parameterCount), optimizerState: [:], optimizerSteps: 0,
                steps: 0, updates: 0, episodes: 0, wallSeconds: 0, recentReturns: [], bestMeanReturn100: nil)
            let url = directory.appendingPathComponent("\(saved.architecture.rawValue).safetensors")
            var config = TrainingConfig()
            config.network = saved.architecture
            try Checkpoint.write(state, config: config, model: saved, packageVersion: "test", to: url)
            let error = #expect(throws: ArtifactError.self) { try Checkpoint.read(url).verifyShapes(match: read) }
            #expect(error?.description.contains(words) == true, "\(String(describing: error))")
        }
    }

    @Test func truncatedAndCorruptFilesAreOneLineErrors() throws {
        let (trainer, state) = try Self.trainedState()
        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("c.safetensors")
        try Checkpoint.write(state, config: trainer.config, model: trainer.model, packageVersion: "test", to: url)
        let bytes = try Data(contentsOf: url)
        let cases: [(String, Data)] = [
            ("truncated in the data", bytes.prefix(bytes.count - 100)),
            ("truncated in the header", bytes.prefix(40)),
            ("empty", Data()),
            ("garbage header", Data([16, 0, 0, 0, 0, 0, 0, 0]) + Data(repeating: 0x7B, count: 16)),
            ("absurd header length", Data([255, 255, 255, 255, 255, 255, 255, 127]) + bytes.dropFirst(8)),
            ("impossible shape", Self.file(header: #"{"t":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,8]}}"#, dataBytes: 8)),
            ("offsets past the end", Self.file(header: #"{"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataBytes: 8)),
        ]
        for (label, data) in cases {
            let broken = directory.appendingPathComponent("broken.safetensors")
            try data.write(to: broken)
            do {
                _ = try Checkpoint.read(broken)
                Issue.record("\(label): accepted")
            } catch {
                #expect(!"\(error)".contains("\n"), "\(label): \(error)")
                #expect("\(error)".contains(broken.path), "\(label): \(error)")
            }
        }
        #expect(throws: ArtifactError.self) { try Checkpoint.read(directory.appendingPathComponent("missing.safetensors")) }
    }
    /// Observation statistics go into the checkpoint and come back; a run that normalised its
    /// observations without them is refused in one line.
    @Test func observationStatisticsRoundTrip() throws {
        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try ActorCriticModel(architecture: .mlp, observationShape: [3], actionCount: 1, gaussian: .state)
        var state = TrainingState(
            parameters: [Float](repeating: 0.25, count: model.parameterCount), optimizerState: [:], optimizerSteps: 0,
            steps: 10, updates: 1, episodes: 0, wallSeconds: 1, recentReturns: [], bestMeanReturn100: nil)
        var config = TrainingConfig.defaults(for: "Pendulum-v1")
        config.normalizeObservations = true
        let url = directory.appendingPathComponent("n.safetensors")
        #expect(throws: ArtifactError.self) {
            try Checkpoint.write(state, config: config, model: model, packageVersion: "test", to: url)
            _ = try Checkpoint.read(url)
        }
        state.observationStatistics = ObservationNormalizer.Statistics(count: 11, mean: [0.5, -0.25, 2], variance: [0.125, 1, 4])
        try Checkpoint.write(state, config: config, model: model, packageVersion: "test", to: url)
        #expect(try Checkpoint.read(url).state.observationStatistics == state.observationStatistics)
        // Reward normalisation's return statistics, the same way.
        config.normalizeRewards = true
        #expect(throws: ArtifactError.self) {
            try Checkpoint.write(state, config: config, model: model, packageVersion: "test", to: url)
            _ = try Checkpoint.read(url)
        }
        state.returnStatistics = ObservationNormalizer.Statistics(count: 12, mean: [3.5], variance: [0.75])
        try Checkpoint.write(state, config: config, model: model, packageVersion: "test", to: url)
        #expect(try Checkpoint.read(url).state.returnStatistics == state.returnStatistics)
    }
}
