import ActorCritic
import NeuralNet
import Randomness
import Testing

/// The figures a run logs to tell why it learns or not, against the same figures computed directly.
@Suite("Training diagnostics")
struct DiagnosticsTests {
    /// Dead units of a convolution (per filter) and of a fully connected layer (per neuron), read
    /// off networks that end at each ReLU; some units are pushed dead by large negative biases.
    @Test func deadUnitFractionCountsUnitsActiveInNoRow() throws {
        let input = Shape(9, 9, 2)
        let layers: [LayerSpec] = [
            .conv2d(filters: 6, kernel: 3, stride: 2, padding: 0), .relu, .flatten, .linear(outputs: 8), .relu, .linear(outputs: 3),
        ]
        let spec = try NetworkSpec(inputShape: input, layers: layers)
        var rng = Xoshiro256(seed: 7)
        var parameters = (0..<spec.parameterCount).map { _ in Float(rng.uniform(-0.5, 0.5)) }
        // Filter 1 and neurons 2 and 5 can never be positive on inputs in [0, 1].
        let convBias = spec.parameterOffsets[0] + 6 * 3 * 3 * 2
        parameters[convBias + 1] = -100
        let linearBias = spec.parameterOffsets[3] + 8 * spec.shapes[3].count
        parameters[linearBias + 2] = -100
        parameters[linearBias + 5] = -100
        let rows = 6, counted = 4
        let observations = (0..<(rows * input.count)).map { _ in Float(rng.uniform(0, 1)) }

        func outputs(upTo layerCount: Int) throws -> [[Float]] {
            let prefix = try NetworkSpec(inputShape: input, layers: Array(layers.prefix(layerCount)))
            let network = Network(spec: prefix, maxBatch: rows)
            network.input(row: 0).update(from: observations, count: observations.count)
            network.forward(parameters: parameters, count: rows)
            let width = prefix.outputShape.count
            return (0..<counted).map { Array(UnsafeBufferPointer(start: network.output(row: $0), count: width)) }
        }
        // A filter is alive if it is positive at some position of some row; a neuron, in some row.
        let conv = try outputs(upTo: 2)
        let deadFilters = (0..<6).filter { c in conv.allSatisfy { row in stride(from: c, to: row.count, by: 6).allSatisfy { row[$0] <= 0 } } }
        let fully = try outputs(upTo: 5)
        let deadNeurons = (0..<8).filter { u in fully.allSatisfy { $0[u] <= 0 } }
        #expect(deadFilters.contains(1) && deadNeurons.contains(2) && deadNeurons.contains(5))
        let expected = Float(deadFilters.count + deadNeurons.count) / Float(6 + 8)
        #expect(expected < 1)

        let network = Network(spec: spec, maxBatch: rows)
        network.input(row: 0).update(from: observations, count: observations.count)
        // Row by row, as a worker acts; rows beyond `counted` are not in the figure.
        for row in 0..<rows { network.forward(parameters: parameters, first: row, count: 1) }
        #expect(network.deadUnitFraction(count: counted) == expected)
        #expect(Network.rectifierUnits(of: spec) == 14)
    }

    /// Explained variance pooled over the rows of several rollouts, the mean dead-unit share, and
    /// the share of updates above the clipping norm, from the accumulator a run logs.
    @Test func accumulatorPoolsExplainedVarianceOverRollouts() throws {
        let model = try ActorCriticModel(architecture: .mlp, observationShape: [3], actionCount: 2, hiddenSizes: [8])
        var parameters = [Float](repeating: 0, count: model.parameterCount)
        parameters.withUnsafeMutableBufferPointer { model.initialize($0.baseAddress!, seed: 2) }
        var rng = Xoshiro256(seed: 19)
        let (steps, environments) = (4, 2)
        let rows = steps * environments
        let loss = ActorCriticLoss(entropyBeta: 0.01, valueCoefficient: 0.5)
        let accumulator = UpdateAccumulator(maxGradNorm: 1, measuresDeadUnits: true)
        var allReturns: [Double] = [], allErrors: [Double] = []
        let norms: [Float] = [0.5, 2, 3]
        for (k, norm) in norms.enumerated() {
            let network = Network(spec: model.network, maxBatch: rows)
            for i in 0..<(rows * 3) { network.input(row: 0)[i] = Float(rng.uniform(-1, 1)) }
            network.forward(parameters: parameters, count: rows)
            let rollout = Rollout(steps: steps, environmentCount: environments, actionCount: 2)
            for row in 0..<rows {
                rollout.evaluate(row: row, output: network.output(row: row))
                rollout.actions[row] = Int32(row % 2)
                // Targets that the critic partly explains, with a shift between rollouts.
                let value = Double(network.output(row: row)[2])
                let target = Float(3 * value + Double(k) + rng.uniform(-0.3, 0.3))
                rollout.returns.pointer[row] = target
                rollout.advantages.pointer[row] = Float(rng.uniform(-1, 1))
                allReturns.append(Double(target))
                allErrors.append(Double(target) - value)
            }
            var terms = loss.gradient(
                rollout: rollout, outputs: network.output(row: 0), outputGradients: network.outputGradient(row: 0), scale: 1)
            terms.deadUnitFraction = Float(k) / 4
            accumulator.add(terms, gradientNorm: norm, isNewUpdate: true)
        }
        func variance(_ x: [Double]) -> Double {
            let mean = x.reduce(0, +) / Double(x.count)
            return x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(x.count)
        }
        let expected = 1 - variance(allErrors) / variance(allReturns)
        let statistics = accumulator.drain()
        let explained = try #require(statistics.explainedVariance)
        #expect(abs(explained - expected) < 1e-4, "\(explained) against \(expected)")
        #expect(expected > 0.2 && expected < 0.99)
        #expect(abs(try #require(statistics.deadUnitFraction) - 0.25) < 1e-6)
        #expect(abs(try #require(statistics.clippedUpdateFraction) - 2.0 / 3) < 1e-9)
        #expect(statistics.updates == 3)
        let columns = statistics.metrics.map(\.metric.column)
        #expect(columns.contains("explained_variance") && columns.contains("dead_unit_fraction"))
        // Constant targets: nothing to explain.
        let flat = UpdateAccumulator(maxGradNorm: 0, measuresDeadUnits: false)
        var terms = ActorCriticLoss.Terms()
        (terms.returnMean, terms.returnSquareMean, terms.valueLoss) = (2, 4, 0.5)
        flat.add(terms, gradientNorm: 1, isNewUpdate: true)
        let constant = flat.drain()
        #expect(constant.explainedVariance == nil && constant.deadUnitFraction == nil && constant.clippedUpdateFraction == nil)
    }

    /// In a real run the critic explains its targets while the agent learns (once nearly every
    /// CartPole game lasts 500 steps the targets barely vary, and the figure falls towards 0), and
    /// the diagnostics reach the statistics a run logs: dead units for ReLU networks only.
    @Test func aRunReportsItsDiagnostics() throws {
        var config = TrainingConfig()
        config.seed = 2
        config.workers = 1
        config.totalSteps = 60_000
        config.targetReturn = 10_000
        let trainer = try Trainer(config: config)
        var spans: [UpdateStatistics] = []
        _ = try trainer.run(monitorInterval: 0.01) { spans.append($0.drainUpdateStatistics()) }
        let measured = spans.filter { $0.updates > 0 }
        #expect(measured.count >= 2)
        let explained = measured.compactMap(\.explainedVariance)
        #expect(explained.count == measured.count && explained.allSatisfy { $0 <= 1 })
        #expect((explained.max() ?? 0) > 0.5, "explained variance over the run: \(explained)")
        #expect(measured.allSatisfy { $0.deadUnitFraction == nil })
        #expect(measured.allSatisfy { ($0.clippedUpdateFraction ?? -1) >= 0 && ($0.clippedUpdateFraction ?? 2) <= 1 })

        config.activation = .relu
        config.totalSteps = 5_000
        let relu = try Trainer(config: config)
        _ = try relu.run()
        let statistics = relu.drainUpdateStatistics()
        #expect(statistics.updates > 0)
        #expect((statistics.deadUnitFraction ?? -1) >= 0 && (statistics.deadUnitFraction ?? 1) < 1)
    }
}
