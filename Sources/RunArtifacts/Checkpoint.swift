import ActorCritic
import Foundation
import NeuralNet

/// A training checkpoint as a safetensors file.
///
/// Tensors: the network's parameters per layer, named like a PyTorch `Sequential`
/// (`network.<layer>.weight` with shape [outputs, inputs] or [filters, kernel, kernel, channels],
/// `network.<layer>.bias`; the last layer's last row is the value head, the rows before it the
/// policy logits), and the optimizer's state as flat tensors laid out like the parameters
/// (`optimizer.rmsprop.square_average`, `optimizer.adam.first_moment`, ...).
/// Metadata: the configuration (JSON), step and episode counters, wall time, the recent returns.
public enum Checkpoint {
    /// Identifies the layout, for readers of other versions.
    public static let format = "swift-a3c checkpoint 1"

    /// What a checkpoint file holds.
    public struct Contents: Sendable {
        /// The configuration the run was trained with.
        public var config: TrainingConfig
        /// Parameters, optimizer state and counters to continue from.
        public var state: TrainingState
        /// The swift-a3c version that wrote the file ("unknown" if it did not say).
        public var packageVersion: String
        /// Shape of every network tensor, by name.
        public var tensorShapes: [String: [Int]]

        /// Throws unless the checkpoint's tensors have exactly `model`'s names and shapes.
        public func verifyShapes(match model: ActorCriticModel) throws {
            let expected = Checkpoint.parameterTensors(model)
            let savedRecurrent = tensorShapes.keys.contains { $0.hasSuffix(".weight_hh") }
            if savedRecurrent != model.network.isRecurrent {
                throw ArtifactError(
                    savedRecurrent
                        ? "the checkpoint holds a recurrent network (an LSTM), this is the feed-forward \(model.architecture.rawValue) network"
                        : "the checkpoint holds a feed-forward network, this is the recurrent \(model.architecture.rawValue) network")
            }
            for (name, _, shape) in expected {
                guard let found = tensorShapes[name] else {
                    throw ArtifactError("the checkpoint has no tensor \(name): it was made for another network")
                }
                guard found == shape else {
                    throw ArtifactError("the checkpoint's \(name) has shape \(found), this network needs \(shape)")
                }
            }
            guard expected.count == tensorShapes.count else {
                throw ArtifactError("the checkpoint has \(tensorShapes.count) network tensors, this network has \(expected.count)")
            }
        }
    }

    /// Writes `state` atomically to `url`.
    public static func write(
        _ state: TrainingState, config: TrainingConfig, model: ActorCriticModel, packageVersion: String, to url: URL
    ) throws {
        var tensors: [(name: String, tensor: SafeTensors.Tensor)] = []
        for (name, range, shape) in parameterTensors(model) {
            tensors.append((name, SafeTensors.Tensor(shape: shape, values: Array(state.parameters[range]))))
        }
        for name in state.optimizerState.keys.sorted() {
            let values = state.optimizerState[name]!
            tensors.append(("optimizer.\(name)", SafeTensors.Tensor(shape: [values.count], values: values)))
        }
        if let statistics = state.observationStatistics {
            tensors.append(("observation.mean", SafeTensors.Tensor(shape: [statistics.mean.count], values: statistics.mean.map(Float.init))))
            tensors.append(
                ("observation.variance", SafeTensors.Tensor(shape: [statistics.variance.count], values: statistics.variance.map(Float.init))))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var metadata: [String: String] = [
            "format": format,
            "package_version": packageVersion,
            "config": String(decoding: try encoder.encode(config), as: UTF8.self),
            "env": config.environmentID,
            "network": model.architecture.rawValue,
            "parameter_count": "\(model.parameterCount)",
            "steps": "\(state.steps)",
            "updates": "\(state.updates)",
            "episodes": "\(state.episodes)",
            "optimizer_steps": "\(state.optimizerSteps)",
            "wall_seconds": "\(state.wallSeconds)",
            "recent_returns": String(decoding: try JSONEncoder().encode(state.recentReturns), as: UTF8.self),
            "best_mean_return_100": state.bestMeanReturn100.map { "\($0)" } ?? "",
        ]
        if let statistics = state.observationStatistics { metadata["observation_count"] = "\(statistics.count)" }
        if let statistics = state.returnStatistics {
            metadata["return_count"] = "\(statistics.count)"
            metadata["return_mean"] = "\(statistics.mean[0])"
            metadata["return_variance"] = "\(statistics.variance[0])"
        }
        // The file on disk stays the last good one.
        if let bad = firstNonFinite(tensors) { throw ArtifactError("checkpoint \(url.path) not written: \(bad)") }
        try SafeTensors.write(SafeTensors.File(tensors: tensors, metadata: metadata), to: url)
    }

    /// "NAME holds NaN" (or infinity) for the first tensor with a value that is not finite.
    static func firstNonFinite(_ tensors: [(name: String, tensor: SafeTensors.Tensor)]) -> String? {
        for (name, tensor) in tensors {
            if let bad = tensor.values.first(where: { !$0.isFinite }) { return "\(name) holds \(bad.isNaN ? "NaN" : "infinity")" }
        }
        return nil
    }

    /// Reads a checkpoint; a missing, truncated or foreign file, or one whose parameters, optimizer
    /// state or statistics are not all finite, is a one-line error.
    public static func read(_ url: URL) throws -> Contents {
        let file = try SafeTensors.read(url)
        if let bad = firstNonFinite(file.tensors) { throw ArtifactError("checkpoint \(url.path): \(bad)") }
        let metadata = file.metadata
        func field(_ key: String) throws -> String {
            guard let value = metadata[key] else {
                throw ArtifactError("\(url.path) is not a swift-a3c checkpoint: no \(key) in its metadata")
            }
            return value
        }
        guard try field("format") == format else {
            throw ArtifactError("\(url.path) has checkpoint format '\(metadata["format"] ?? "")', expected '\(format)'")
        }
        let config: TrainingConfig
        do {
            config = try JSONDecoder().decode(TrainingConfig.self, from: Data(try field("config").utf8))
        } catch let error as ArtifactError {
            throw error
        } catch {
            throw ArtifactError("\(url.path) has an unreadable config in its metadata")
        }
        guard let steps = Int(try field("steps")), let updates = Int(try field("updates")),
            let episodes = Int(try field("episodes")), let optimizerSteps = Int(try field("optimizer_steps")),
            let wallSeconds = Double(try field("wall_seconds")),
            let recentReturns = try? JSONDecoder().decode([Double].self, from: Data(try field("recent_returns").utf8)),
            let parameterCount = Int(try field("parameter_count"))
        else { throw ArtifactError("\(url.path) has unreadable counters in its metadata") }

        var parameters: [Float] = []
        parameters.reserveCapacity(parameterCount)
        var optimizerState: [String: [Float]] = [:]
        var observationMoments: [String: [Double]] = [:]
        var shapes: [String: [Int]] = [:]
        // Layer order by name (network.<layer>.weight, then .bias), whatever order a writer used.
        func layerOrder(_ name: String) -> (Int, Int) {
            let parts = name.split(separator: ".")
            return (parts.count == 3 ? Int(parts[1]) ?? Int.max : Int.max, parts.last == "weight" ? 0 : 1)
        }
        let ordered = file.tensors.sorted { a, b in
            let x = layerOrder(a.name), y = layerOrder(b.name)
            return x.0 != y.0 ? x.0 < y.0 : x.1 < y.1
        }
        for (name, tensor) in ordered {
            if name.hasPrefix("network.") {
                parameters += tensor.values
                shapes[name] = tensor.shape
            } else if name.hasPrefix("optimizer.") {
                optimizerState[String(name.dropFirst("optimizer.".count))] = tensor.values
            } else if name.hasPrefix("observation.") {
                observationMoments[String(name.dropFirst("observation.".count))] = tensor.values.map(Double.init)
            }
        }
        guard parameters.count == parameterCount else {
            throw ArtifactError("\(url.path) holds \(parameters.count) parameters, its metadata says \(parameterCount)")
        }
        var state = TrainingState(
            parameters: parameters, optimizerState: optimizerState, optimizerSteps: optimizerSteps, steps: steps,
            updates: updates, episodes: episodes, wallSeconds: wallSeconds, recentReturns: recentReturns,
            bestMeanReturn100: Double(metadata["best_mean_return_100"] ?? ""))
        if config.normalizeObservations {
            guard let mean = observationMoments["mean"], let variance = observationMoments["variance"], mean.count == variance.count,
                let count = Double(metadata["observation_count"] ?? "")
            else { throw ArtifactError("\(url.path) was trained on normalised observations but holds no observation statistics") }
            state.observationStatistics = ObservationNormalizer.Statistics(count: count, mean: mean, variance: variance)
        }
        if config.normalizeRewards {
            guard let count = Double(metadata["return_count"] ?? ""), let mean = Double(metadata["return_mean"] ?? ""),
                let variance = Double(metadata["return_variance"] ?? "")
            else { throw ArtifactError("\(url.path) was trained on normalised rewards but holds no return statistics") }
            state.returnStatistics = ObservationNormalizer.Statistics(count: count, mean: [mean], variance: [variance])
        }
        return Contents(
            config: config, state: state, packageVersion: metadata["package_version"] ?? "unknown", tensorShapes: shapes)
    }

    /// Each layer's weight and bias: name, range in the flat parameters, shape.
    static func parameterTensors(_ model: ActorCriticModel) -> [(String, Range<Int>, [Int])] {
        let spec = model.network
        var result: [(String, Range<Int>, [Int])] = []
        for (index, layer) in spec.layers.enumerated() {
            var offset = spec.parameterOffsets[index]
            for (name, shape) in layer.parameterTensors(for: spec.shapes[index]) {
                let count = shape.reduce(1, *)
                result.append(("network.\(index).\(name)", offset..<(offset + count), shape))
                offset += count
            }
        }
        return result
    }
}
