import ActorCritic
import ArgumentParser
import Foundation
import NeuralNet
import RunArtifacts

/// `a3c export`: a trained network in a format other programs run.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a trained network as an ONNX model (policy logits and value).",
        discussion: """
            The model takes `observation` [batch, ...] in the environment's own layout (pictures are \
            [height, width, frames], scaled to [0, 1] as in training) and gives `policy_logits` \
            [batch, actions] and `value` [batch, 1]. A recurrent network (mlp-lstm, universe, \
            paper-lstm) runs one step per call: it also takes `h_in` and `c_in` [batch, cells] (zeros \
            when an episode starts) and gives `h_out` and `c_out` for the next step. onnxruntime, for \
            one, runs it.
            """)

    @Argument(help: "A checkpoint (.safetensors) or a run directory (its latest checkpoint).")
    var checkpoint: String

    @Option(name: .long, help: "The ONNX file to write.")
    var onnx: String

    func run() throws {
        let loaded = try LoadedCheckpoint(path: checkpoint)
        if case .gaussian = loaded.model.policy {
            throw ValidationError("\(checkpoint): ONNX export of continuous-action (Gaussian) policies is not supported yet")
        }
        // A run that normalised its observations exports the normalisation as the graph's first nodes.
        var shift: [Float]?, scale: [Float]?
        if let statistics = loaded.contents.state.observationStatistics {
            var s = [Float](repeating: 0, count: statistics.mean.count), k = s
            statistics.coefficients(shift: &s, scale: &k)
            (shift, scale) = (s, k)
        }
        let data = try ONNXExport.model(
            spec: loaded.model.network, parameters: loaded.contents.state.parameters,
            actionCount: loaded.model.actionCount, producerVersion: PackageVersion.current,
            observationShift: shift, observationScale: scale)
        let url = URL(fileURLWithPath: onnx)
        try AtomicFile.write(data, to: url)
        let shape = loaded.model.network.inputShape.dimensions.map(String.init).joined(separator: ", ")
        var inputs = "observation [batch, \(shape)]", outputs = "policy_logits [batch, \(loaded.model.actionCount)], value [batch, 1]"
        let lstmCells = loaded.model.network.layers.compactMap { layer -> Int? in
            if case .lstm(let hidden) = layer { hidden } else { nil }
        }
        if let cells = lstmCells.first {
            inputs += ", h_in and c_in [batch, \(cells)]"
            outputs += ", h_out and c_out [batch, \(cells)]"
        }
        print("wrote \(url.path): \(inputs) -> \(outputs)")
    }
}
