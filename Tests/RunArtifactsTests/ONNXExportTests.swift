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
        ("MLP + LSTM, first step of each sequence", .mlpLSTM, [4], 2),
    ]

    /// Model `index` with its initial parameters perturbed (non-zero biases, a livelier head, so that
    /// every parameter matters), `batch` random observations, and our forward pass of them.
    static func forwardPass(_ index: Int, batch: Int, seed: UInt64) throws
        -> (ActorCriticModel, [Float], [Float], Network)
    {
        let (_, architecture, shape, actions) = models[index]
        let model = try ActorCriticModel(architecture: architecture, observationShape: shape, actionCount: actions)
        var rng = Xoshiro256(seed: seed)
        var parameters = [Float](repeating: 0, count: model.parameterCount)
        parameters.withUnsafeMutableBufferPointer { model.initialize($0.baseAddress!, seed: seed + 1) }
        for i in parameters.indices { parameters[i] += Float(rng.uniform(-0.02, 0.02)) }
        let observations = (0..<(batch * model.network.inputShape.count)).map { _ in Float(rng.uniform(0, 1)) }
        let network = Network(spec: model.network, maxBatch: batch)
        network.input(row: 0).update(from: observations, count: observations.count)
        network.forward(parameters: parameters, count: batch)
        return (model, parameters, observations, network)
    }

    /// onnxruntime runs the exported graph on random observations and gets our forward pass.
    @Test(arguments: [0, 1])
    func onnxruntimeMatchesOurForwardPass(index: Int) throws {
        let (name, _, shape, actions) = Self.models[index]
        let batch = 3
        let (model, parameters, observations, network) = try Self.forwardPass(index, batch: batch, seed: 17)

        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("policy.onnx")
        try ONNXExport.model(spec: model.network, parameters: parameters, actionCount: actions, producerVersion: "test")
            .write(to: url)
        let inputs: [String: Any] = ["shape": [batch] + shape, "values": observations.map(Double.init)]
        try JSONSerialization.data(withJSONObject: inputs).write(to: URL(fileURLWithPath: url.path + ".inputs.json"))
        let result = try PythonReader.read("onnx", url.path)
        #expect(result["outputs"] as? [String] == ["policy_logits", "value"])
        let logits = try #require(result["policy_logits"] as? [Double])
        let values = try #require(result["value"] as? [Double])
        #expect(logits.count == batch * actions && values.count == batch)
        for row in 0..<batch {
            let ours = network.output(row: row)
            for a in 0..<actions {
                let theirs = logits[row * actions + a]
                #expect(abs(Double(ours[a]) - theirs) <= 1e-5 * max(1, abs(theirs)), "\(name) row \(row) logit \(a)")
            }
            #expect(abs(Double(ours[actions]) - values[row]) <= 1e-5 * max(1, abs(values[row])), "\(name) row \(row) value")
        }
    }

    /// The checkpoint read the way the README tells PyTorch users to (convolution weights permuted
    /// to [out, in, kh, kw], a height-width-channel flattening before the first linear layer)
    /// gives our forward pass; the LSTM's tensors go into an LSTMCell as PyTorch names them (gates
    /// i, f, g, o). NumPy stands in for torch, which the test environment does not carry.
    @Test(arguments: models.indices)
    func checkpointLoadsWithPyTorchsConventions(index: Int) throws {
        let (name, architecture, shape, actions) = Self.models[index]
        let batch = 2
        let (model, parameters, observations, network) = try Self.forwardPass(index, batch: batch, seed: 23)

        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("latest.safetensors")
        let state = TrainingState(
            parameters: parameters, optimizerState: [:], optimizerSteps: 0, steps: 0, updates: 0, episodes: 0,
            wallSeconds: 0, recentReturns: [], bestMeanReturn100: nil)
        var config = TrainingConfig()
        config.network = architecture
        try Checkpoint.write(state, config: config, model: model, packageVersion: "test", to: url)
        let layers: [[Any]] = model.network.layers.map { layer in
            switch layer {
            case .conv2d(_, _, let stride, _): ["conv", stride]
            case .linear: ["linear", 0]
            case .relu: ["relu", 0]
            case .tanh: ["tanh", 0]
            case .elu: ["elu", 0]
            case .flatten: ["flatten", 0]
            case .lstm: ["lstm", 0]
            }
        }
        let inputs: [String: Any] = ["shape": [batch] + shape, "values": observations.map(Double.init), "layers": layers]
        try JSONSerialization.data(withJSONObject: inputs).write(to: URL(fileURLWithPath: url.path + ".inputs.json"))
        let outputs = try #require(PythonReader.read("torchlike", url.path)["outputs"] as? [Double])
        #expect(outputs.count == batch * (actions + 1))
        for row in 0..<batch {
            for j in 0...actions {
                let theirs = outputs[row * (actions + 1) + j], ours = Double(network.output(row: row)[j])
                #expect(abs(ours - theirs) <= 1e-4 * max(1, abs(theirs)), "\(name) row \(row) output \(j): \(ours) vs \(theirs)")
            }
        }
    }
}
