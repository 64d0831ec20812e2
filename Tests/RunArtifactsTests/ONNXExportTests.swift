import ActorCritic
import Foundation
import NeuralNet
import Randomness
import RunArtifacts
import Testing

@Suite("ONNX export")
struct ONNXExportTests {
    static let models: [(String, NetworkArchitecture, [Int], Int)] = [
        ("MLP, CartPole's shape", .mlp, [4], 2),
        ("paper network, 84x84x4, 6 actions", .paper, [84, 84, 4], 6),
        ("MLP + LSTM", .mlpLSTM, [4], 2),
        ("LSTM + MLP (--lstm-first)", .mlpLSTM, [4], 2),
        ("LSTM + policy and value towers (--lstm-first --trunk separate)", .mlpLSTM, [4], 2),
        ("universe network, 42x42x1, 6 actions", .universe, [42, 42, 1], 6),
        ("paper network + LSTM, 84x84x4, 6 actions", .paperLSTM, [84, 84, 4], 6),
        ("nature network, 84x84x4, 6 actions", .nature, [84, 84, 4], 6),
    ]

    /// The model `index` names, with the LSTM size its architecture has by default.
    static func model(_ index: Int) throws -> ActorCriticModel {
        let (name, architecture, shape, actions) = models[index]
        return try ActorCriticModel(
            architecture: architecture, observationShape: shape, actionCount: actions,
            lstmSize: architecture == .mlpLSTM ? 64 : 256, lstmFirst: name.contains("--lstm-first"),
            trunk: name.contains("--trunk separate") ? .separate : .shared)
    }

    /// Initial parameters perturbed (non-zero biases, a livelier head, so that every parameter matters).
    static func parameters(of model: ActorCriticModel, seed: UInt64) -> [Float] {
        var rng = Xoshiro256(seed: seed)
        var parameters = [Float](repeating: 0, count: model.parameterCount)
        parameters.withUnsafeMutableBufferPointer { model.initialize($0.baseAddress!, seed: seed + 1) }
        for i in parameters.indices { parameters[i] += Float(rng.uniform(-0.02, 0.02)) }
        return parameters
    }

    /// Random observations for model `index` and our outputs for them: 2 sequences; recurrent
    /// models run 3 steps from the state an earlier step left, and sequence 1 starts a new episode
    /// at step 1 (row 3). `inputs` says all that for scripts/read_artifacts.py.
    struct Sequences {
        let model: ActorCriticModel
        let parameters: [Float]
        let inputs: [String: Any]
        let rows: Int
        let outputs: [[Float]]
    }

    static func sequences(_ index: Int, seed: UInt64) throws -> Sequences {
        let model = try model(index)
        let parameters = parameters(of: model, seed: seed)
        let batch = 2, steps = model.network.isRecurrent ? 3 : 1
        let width = model.network.inputShape.count
        var rng = Xoshiro256(seed: seed + 7)
        let warmup = model.network.isRecurrent ? (0..<(batch * width)).map { _ in Float(rng.uniform(0, 1)) } : []
        let observations = (0..<(steps * batch * width)).map { _ in Float(rng.uniform(0, 1)) }
        let starts = model.network.isRecurrent ? [3] : []

        let network = Network(spec: model.network, maxBatch: steps * batch, sequenceStride: batch)
        if !warmup.isEmpty {
            network.input(row: 0).update(from: warmup, count: warmup.count)
            network.forward(parameters: parameters, count: batch)
            network.carryRecurrentState(fromRow: 0)
        }
        network.input(row: 0).update(from: observations, count: observations.count)
        for row in starts { network.markEpisodeStart(row: row) }
        network.forward(parameters: parameters, count: steps * batch)
        let outputs = (0..<(steps * batch)).map { Array(UnsafeBufferPointer(start: network.output(row: $0), count: model.actionCount + 1)) }
        let layers: [[Any]] = model.network.layers.map { layer in
            switch layer {
            case .conv2d(_, _, let stride, let padding): ["conv", stride, padding]
            case .linear, .groupedLinear: ["linear", 0, 0]
            case .relu: ["relu", 0, 0]
            case .tanh: ["tanh", 0, 0]
            case .elu: ["elu", 0, 0]
            case .flatten: ["flatten", 0, 0]
            case .lstm: ["lstm", 0, 0]
            case .logStd: ["log_std", 0, 0]
            }
        }
        let inputs: [String: Any] = [
            "shape": model.network.inputShape.dimensions, "batch": batch, "steps": steps, "layers": layers,
            "warmup": warmup.map(Double.init), "values": observations.map(Double.init), "starts": starts,
        ]
        return Sequences(model: model, parameters: parameters, inputs: inputs, rows: steps * batch, outputs: outputs)
    }

    /// onnxruntime runs the exported graph (recurrent ones a step at a time, passing the state on)
    /// and gets our outputs.
    @Test(arguments: models.indices)
    func onnxruntimeMatchesOurForwardPass(index: Int) throws {
        let (name, _, _, actions) = Self.models[index]
        let run = try Self.sequences(index, seed: 17)

        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("policy.onnx")
        try ONNXExport.model(spec: run.model.network, parameters: run.parameters, actionCount: actions, producerVersion: "test")
            .write(to: url)
        try JSONSerialization.data(withJSONObject: run.inputs).write(to: URL(fileURLWithPath: url.path + ".inputs.json"))
        let result = try PythonReader.read("onnx", url.path)
        let recurrent = run.model.network.isRecurrent
        #expect(result["outputs"] as? [String] == ["policy_logits", "value"] + (recurrent ? ["h_out", "c_out"] : []))
        let logits = try #require(result["policy_logits"] as? [Double])
        let values = try #require(result["value"] as? [Double])
        #expect(logits.count == run.rows * actions && values.count == run.rows)
        for row in 0..<run.rows {
            let ours = run.outputs[row]
            for a in 0..<actions {
                let theirs = logits[row * actions + a]
                #expect(abs(Double(ours[a]) - theirs) <= 1e-5 * max(1, abs(theirs)), "\(name) row \(row) logit \(a)")
            }
            #expect(abs(Double(ours[actions]) - values[row]) <= 1e-5 * max(1, abs(values[row])), "\(name) row \(row) value")
        }
    }

    /// The checkpoint loaded into PyTorch modules the way the README tells PyTorch users to
    /// (convolution weights permuted to [out, in, kh, kw], a height-width-channel flattening before
    /// the first layer after the convolutions, the LSTM's tensors into `nn.LSTMCell` as stored, gates
    /// i, f, g, o) gives our outputs, recurrent ones through time and an episode start.
    @Test(arguments: models.indices)
    func checkpointLoadsIntoPyTorch(index: Int) throws {
        let (name, architecture, _, actions) = Self.models[index]
        let run = try Self.sequences(index, seed: 23)
        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("latest.safetensors")
        let state = TrainingState(
            parameters: run.parameters, optimizerState: [:], optimizerSteps: 0, steps: 0, updates: 0, episodes: 0,
            wallSeconds: 0, recentReturns: [], bestMeanReturn100: nil)
        var config = TrainingConfig()
        config.network = architecture
        try Checkpoint.write(state, config: config, model: run.model, packageVersion: "test", to: url)
        try JSONSerialization.data(withJSONObject: run.inputs).write(to: URL(fileURLWithPath: url.path + ".inputs.json"))
        let outputs = try #require(PythonReader.read("torch", url.path)["outputs"] as? [Double])
        #expect(outputs.count == run.rows * (actions + 1))
        for row in 0..<run.rows {
            for j in 0...actions {
                let theirs = outputs[row * (actions + 1) + j], ours = Double(run.outputs[row][j])
                #expect(abs(ours - theirs) <= 1e-5 * max(1, abs(theirs)), "\(name) row \(row) output \(j): \(ours) vs \(theirs)")
            }
        }
    }
    /// A Gaussian policy (σ from the state through softplus, or a learned log σ) exports its means,
    /// its σ and the value: onnxruntime gives what our network and `Gaussian.std` give.
    @Test(arguments: Gaussian.Form.allCases)
    func gaussianPoliciesExportMeansAndSigma(form: Gaussian.Form) throws {
        let dimensions = 3, batch = 2
        let model = try ActorCriticModel(
            architecture: .mlp, observationShape: [5], actionCount: dimensions, hiddenSizes: [16, 16], gaussian: form)
        var parameters = Self.parameters(of: model, seed: 53)
        if form == .parameter {
            // Learned log σ: one beyond each clipping bound, one inside.
            let logStd = parameters.count - dimensions
            parameters.replaceSubrange(logStd..., with: [-25, 0.3, 3])
        }
        var rng = Xoshiro256(seed: 59)
        let observations = (0..<(batch * 5)).map { _ in Float(rng.uniform(-1, 1)) }
        let network = Network(spec: model.network, maxBatch: batch)
        network.input(row: 0).update(from: observations, count: observations.count)
        network.forward(parameters: parameters, count: batch)

        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("gaussian.onnx")
        try ONNXExport.model(
            spec: model.network, parameters: parameters, actionCount: dimensions, producerVersion: "test", gaussian: form
        ).write(to: url)
        let inputs: [String: Any] = [
            "shape": [5], "batch": batch, "steps": 1, "warmup": [Double](), "values": observations.map(Double.init),
            "starts": [Int](),
        ]
        try JSONSerialization.data(withJSONObject: inputs).write(to: URL(fileURLWithPath: url.path + ".inputs.json"))
        let result = try PythonReader.read("onnx", url.path)
        #expect(result["outputs"] as? [String] == ["action_mean", "action_std", "value"])
        let means = try #require(result["action_mean"] as? [Double]), sigmas = try #require(result["action_std"] as? [Double])
        let values = try #require(result["value"] as? [Double])
        #expect(means.count == batch * dimensions && sigmas.count == batch * dimensions && values.count == batch)
        for row in 0..<batch {
            let ours = network.output(row: row)
            for j in 0..<dimensions {
                let sigma = Double(Gaussian.std(ours[dimensions + j], form: form))
                #expect(abs(Double(ours[j]) - means[row * dimensions + j]) <= 1e-5, "\(form) row \(row) mean \(j)")
                #expect(abs(sigma - sigmas[row * dimensions + j]) <= 1e-5 * max(1, sigma), "\(form) row \(row) σ \(j)")
            }
            #expect(abs(Double(ours[2 * dimensions]) - values[row]) <= 1e-5, "\(form) row \(row) value")
        }
    }

    /// A run that normalised its observations exports the normalisation: onnxruntime on raw
    /// observations gives our network on normalised ones (one far value clipped at 10).
    @Test func normalisationIsPartOfTheGraph() throws {
        let model = try Self.model(0)
        let parameters = Self.parameters(of: model, seed: 41)
        let statistics = ObservationNormalizer.Statistics(count: 100, mean: [0.5, -1, 2, 0], variance: [0.25, 4, 1, 0.01])
        var shift = [Float](repeating: 0, count: 4), scale = shift
        statistics.coefficients(shift: &shift, scale: &scale)
        let raw: [Float] = [0.7, -3, 2.5, 0.2, 0.1, 1, 1.5, -9]
        var normalised = raw
        ObservationNormalizer.normalize(&normalised, count: 2, width: 4, shift: shift, scale: scale, sums: nil, squares: nil)
        #expect(normalised[7] == -10)
        let network = Network(spec: model.network, maxBatch: 2)
        network.input(row: 0).update(from: normalised, count: 8)
        network.forward(parameters: parameters, count: 2)

        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("normalised.onnx")
        try ONNXExport.model(
            spec: model.network, parameters: parameters, actionCount: 2, producerVersion: "test", observationShift: shift,
            observationScale: scale
        ).write(to: url)
        let inputs: [String: Any] = [
            "shape": [4], "batch": 2, "steps": 1, "warmup": [Double](), "values": raw.map(Double.init), "starts": [Int](),
        ]
        try JSONSerialization.data(withJSONObject: inputs).write(to: URL(fileURLWithPath: url.path + ".inputs.json"))
        let result = try PythonReader.read("onnx", url.path)
        let logits = try #require(result["policy_logits"] as? [Double]), values = try #require(result["value"] as? [Double])
        for row in 0..<2 {
            for a in 0..<2 { #expect(abs(Double(network.output(row: row)[a]) - logits[row * 2 + a]) <= 1e-5) }
            #expect(abs(Double(network.output(row: row)[2]) - values[row]) <= 1e-5)
        }
    }
}
