import ActorCritic
import Environments
import NeuralNet
import Randomness
import Testing

/// Several environments per worker: batched forward passes, the batched loss, vector environments,
/// and synchronous A2C.
@Suite("Batched acting and A2C")
struct BatchedActingTests {
    static let models: [(String, NetworkArchitecture, [Int], Int)] = [
        ("mlp", .mlp, [4], 2),
        ("paper network, 84x84x4", .paper, [84, 84, 4], 6),
    ]

    @Test(arguments: models.indices)
    func batchedForwardEqualsSingleForwards(modelIndex: Int) throws {
        let (name, architecture, shape, actions) = Self.models[modelIndex]
        let model = try ActorCriticModel(architecture: architecture, observationShape: shape, actionCount: actions)
        var parameters = [Float](repeating: 0, count: model.parameterCount)
        parameters.withUnsafeMutableBufferPointer { model.initialize($0.baseAddress!, seed: 5) }
        let rows = 7, width = model.network.inputShape.count, outputs = actions + 1
        var rng = Xoshiro256(seed: 9)
        let inputs = (0..<(rows * width)).map { _ in Float(rng.uniform(0, 1)) }
        let batched = Network(spec: model.network, maxBatch: rows)
        batched.input(row: 0).update(from: inputs, count: inputs.count)
        batched.forward(parameters: parameters, count: rows)
        let single = Network(spec: model.network, maxBatch: 1)
        for row in 0..<rows {
            single.input(row: 0).update(from: Array(inputs[(row * width)..<((row + 1) * width)]), count: width)
            single.forward(parameters: parameters, count: 1)
            for j in 0..<outputs {
                let a = batched.output(row: row)[j], b = single.output(row: 0)[j]
                // Different batch sizes may take different GEMM kernels: equal up to rounding.
                #expect(abs(a - b) <= 1e-5 * max(1, abs(b)), "\(name) row \(row) output \(j): \(a) vs \(b)")
            }
        }
    }

    /// One rollout of 3 environments x 4 steps: the batched gradient (scale 1) is the sum of the three
    /// environments' own gradients, and matches finite differences of the summed loss.
    @Test func batchedLossGradientIsTheSumOfPerEnvironmentGradients() throws {
        let model = try ActorCriticModel(architecture: .mlp, observationShape: [5], actionCount: 3, hiddenSizes: [16, 16])
        let spec = model.network
        let (environments, steps, width) = (3, 4, spec.inputShape.count)
        let rows = environments * steps
        var rng = Xoshiro256(seed: 31)
        var parameters = [Float](repeating: 0, count: model.parameterCount)
        parameters.withUnsafeMutableBufferPointer { model.initialize($0.baseAddress!, seed: 4) }
        let head = spec.parameterOffsets[spec.layers.count - 1]
        for i in head..<parameters.count { parameters[i] += Float(rng.uniform(-0.5, 0.5)) }
        // Row i = step * environments + environment, as a worker lays them out.
        let observations = (0..<(rows * width)).map { _ in Float(rng.uniform(-1, 1)) }
        let actions = (0..<rows).map { _ in rng.nextInt(below: 3) }
        let returns = (0..<rows).map { _ in Float(rng.uniform(-2, 2)) }
        let advantages = (0..<rows).map { _ in Float(rng.uniform(-2, 2)) }
        let loss = ActorCriticLoss(entropyBeta: 0.05, valueCoefficient: 0.5)

        func gradient(rowsOf selected: [Int], environments count: Int) -> [Float] {
            let network = Network(spec: spec, maxBatch: selected.count)
            let rollout = Rollout(steps: selected.count / count, environmentCount: count, actionCount: 3)
            for (k, row) in selected.enumerated() {
                network.input(row: k).update(from: Array(observations[(row * width)..<((row + 1) * width)]), count: width)
            }
            network.forward(parameters: parameters, count: selected.count)
            for (k, row) in selected.enumerated() {
                rollout.evaluate(row: k, output: network.output(row: k))
                rollout.actions[k] = Int32(actions[row])
                rollout.returns.pointer[k] = returns[row]
                rollout.advantages.pointer[k] = advantages[row]
            }
            _ = loss.gradient(
                rollout: rollout, outputs: network.output(row: 0), outputGradients: network.outputGradient(row: 0), scale: 1)
            var result = [Float](repeating: .nan, count: parameters.count)
            network.backward(parameters: parameters, gradient: &result, count: selected.count)
            return result
        }
        let batched = gradient(rowsOf: Array(0..<rows), environments: environments)
        var summed = [Float](repeating: 0, count: parameters.count)
        for e in 0..<environments {
            let own = gradient(rowsOf: (0..<steps).map { $0 * environments + e }, environments: 1)
            for i in summed.indices { summed[i] += own[i] }
        }
        for i in summed.indices {
            #expect(abs(batched[i] - summed[i]) <= 1e-4 * max(1, abs(summed[i])), "parameter \(i)")
        }

        // Finite differences of the whole batch's loss.
        let network = Network(spec: spec, maxBatch: rows)
        network.input(row: 0).update(from: observations, count: observations.count)
        func lossValue(_ p: [Float]) -> Double {
            network.forward(parameters: p, count: rows)
            return loss.value(
                outputs: network.output(row: 0), actions: actions, returns: returns, advantages: advantages, actionCount: 3)
        }
        let h: Float = 1e-2
        for i in Swift.stride(from: 0, to: parameters.count, by: 7) {
            var plus = parameters, minus = parameters
            plus[i] += h
            minus[i] -= h
            let numeric = (lossValue(plus) - lossValue(minus)) / Double(2 * h)
            #expect(abs(numeric - Double(batched[i])) < 2e-2 * max(1, abs(numeric)), "parameter \(i): \(numeric) vs \(batched[i])")
        }
    }

    /// Environments ending at different steps: each is reset on its own, and every transition is the
    /// one a lone environment with the same seed and actions gives.
    @Test func vectorOfCartPolesMatchesLoneEnvironments() throws {
        let count = 4
        let spec = try EnvironmentRegistry.spec("CartPole-v1")
        let vector = try spec.makeVector(count: count)
        let lone = try (0..<count).map { _ in try spec.make() }
        let width = vector.observationSpace.count
        var observations = [Float](repeating: 0, count: count * width)
        var finals = [Float](repeating: 0, count: count * width)
        var results = [StepResult](repeating: StepResult(reward: 0, terminated: false, truncated: false), count: count)
        let seeds: [UInt64] = [11, 12, 13, 14]
        try vector.reset(seeds: seeds, into: &observations)
        for e in 0..<count { #expect(Array(observations[(e * width)..<((e + 1) * width)]) == (try lone[e].reset(seed: seeds[e]))) }
        var rng = Xoshiro256(seed: 3)
        var endSteps: Set<Int> = []
        var ends = 0
        for t in 0..<400 {
            let actions = (0..<count).map { _ in Int32(rng.nextInt(below: 2)) }
            try vector.step(actions, into: &observations, finalObservations: &finals, results: &results)
            for e in 0..<count {
                let (expected, result) = try lone[e].step(Int(actions[e]))
                #expect(results[e] == result, "environment \(e) step \(t)")
                let row = Array(observations[(e * width)..<((e + 1) * width)])
                if result.isDone {
                    ends += 1
                    endSteps.insert(t)
                    #expect(Array(finals[(e * width)..<((e + 1) * width)]) == expected)
                    #expect(row == (try lone[e].reset(seed: nil)))
                } else {
                    #expect(row == expected)
                }
            }
        }
        #expect(ends > 20 && endSteps.count > 10, "random CartPole episodes end often, at different steps")
    }

    /// With normalisation the workers' statistics are merged at the barrier in worker order, so
    /// they too (and through them the parameters) do not depend on which thread came first; three
    /// workers make the order of the sums matter.
    @Test(arguments: [(false, 2), (true, 2), (true, 3)])
    func a2cIsBitIdenticalAcrossRuns(normalize: Bool, workers: Int) throws {
        typealias Statistics = ObservationNormalizer.Statistics
        func run(seed: UInt64) throws -> (parameters: [Float], returns: [Double], steps: Int, statistics: [Statistics?]) {
            var config = TrainingConfig()
            config.algorithm = .a2c
            config.workers = workers
            config.envsPerWorker = 4
            config.seed = seed
            config.totalSteps = 40_000
            config.targetReturn = 10_000  // never reached: the budget decides
            config.normalizeObservations = normalize
            config.normalizeRewards = normalize
            let trainer = try Trainer(config: config)
            let summary = try trainer.run()
            let state = trainer.snapshot()
            return (
                trainer.parameters.array, trainer.episodes.map(\.episodeReturn).sorted(), summary.steps,
                [state.observationStatistics, state.returnStatistics]
            )
        }
        let first = try run(seed: 7), second = try run(seed: 7)
        #expect(first.steps >= 40_000 && first.steps < 40_000 + 20 * workers * 4)
        #expect(first.returns.count > 50)
        #expect(first.steps == second.steps)
        // Episodes of the workers finish in any order; the set of returns is the same.
        #expect(first.returns == second.returns)
        #expect(first.parameters == second.parameters)
        #expect(first.statistics == second.statistics)
        if normalize {
            // Every observation counted once: each environment's first, then one per step (a game
            // that ends hands its step's row to the next game's first observation); every return once.
            let observations = try #require(first.statistics[0]).count, returns = try #require(first.statistics[1]).count
            #expect(abs(observations - Double(first.steps + workers * 4)) < 0.01, "\(observations) observations counted")
            #expect(abs(returns - Double(first.steps)) < 0.01, "\(returns) returns counted")
        }
        #expect(try run(seed: 8).parameters != first.parameters)
    }

    @Test func a2cSolvesCartPole() throws {
        var config = TrainingConfig()
        config.algorithm = .a2c
        config.envsPerWorker = 8
        config.seed = 1
        let summary = try Trainer(config: config).run()
        #expect(summary.solved, "mean of the last 100 returns: \(summary.meanReturn100 ?? -1)")
    }

    @Test func severalEnvironmentsPerA3CWorkerSolveCartPole() throws {
        var config = TrainingConfig()
        config.envsPerWorker = 4
        config.seed = 2
        let summary = try Trainer(config: config).run()
        #expect(summary.solved, "mean of the last 100 returns: \(summary.meanReturn100 ?? -1)")
    }
}
