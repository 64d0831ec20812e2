import ActorCritic
import ArgumentParser
import Foundation
import NeuralNet
import RunArtifacts

/// `a3c export`: a trained network in a format other programs run.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a trained network as an ONNX model (the policy and the value).",
        discussion: """
            The model takes `observation` [batch, ...] in the environment's own layout (pictures are \
            [height, width, frames], scaled to [0, 1] as in training) and gives `policy_logits` \
            [batch, actions] and `value` [batch, 1]; a continuous-action (Gaussian) policy gives \
            `action_mean` and `action_std` [batch, dimensions] instead of the logits (actions are \
            clipped to the environment's bounds when sent). A recurrent network (mlp-lstm, universe, \
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
        var gaussian: Gaussian.Form?
        if case .gaussian(_, let form) = loaded.model.policy { gaussian = form }
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
            observationShift: shift, observationScale: scale, gaussian: gaussian)
        let url = URL(fileURLWithPath: onnx)
        try AtomicFile.write(data, to: url)
        let shape = loaded.model.network.inputShape.dimensions.map(String.init).joined(separator: ", ")
        let count = loaded.model.actionCount
        var inputs = "observation [batch, \(shape)]"
        var outputs = (gaussian == nil ? "policy_logits [batch, \(count)]" : "action_mean and action_std [batch, \(count)]") + ", value [batch, 1]"
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
