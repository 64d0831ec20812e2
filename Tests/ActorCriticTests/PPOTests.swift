import ActorCritic
import NeuralNet
import Randomness
import Testing

@Suite("PPO")
struct PPOTests {
    /// PPO's loss through an MLP against finite differences, for a categorical and both Gaussian
    /// policies, with and without value clipping: the behaviour log-probabilities are set so that
    /// some rows' ratios lie inside [1 - ε, 1 + ε] and others outside it on either side, and the
    /// behaviour values so that some values are clipped.
    @Test(arguments: [
        (PolicyChoice.categorical, true), (.categorical, false), (.gaussianState, true), (.gaussianParameter, false),
    ])
    func lossMatchesFiniteDifferences(policy: PolicyChoice, clipValues: Bool) throws {
        let actionCount = policy == .categorical ? 3 : 2
        let model = try ActorCriticModel(
            architecture: .mlp, observationShape: [5], actionCount: actionCount, hiddenSizes: [12, 12],
            gaussian: policy.form)
        let spec = model.network
        let rows = 12
        var rng = Xoshiro256(seed: 41)
        var parameters = [Float](repeating: 0, count: model.parameterCount)
        parameters.withUnsafeMutableBufferPointer { model.initialize($0.baseAddress!, seed: 7) }
        let head = spec.parameterOffsets[spec.layers.count - (policy == .gaussianParameter ? 2 : 1)]
        for i in head..<parameters.count { parameters[i] += Float(rng.uniform(-0.4, 0.4)) }

        let rollout = Rollout(steps: rows, environmentCount: 1, policy: model.policy, observationWidth: 5)
        for i in 0..<(rows * 5) { rollout.observations.pointer[i] = Float(rng.uniform(-1, 1)) }
        let acting = Network(spec: spec, maxBatch: rows, inputs: rollout.observations)
        acting.forward(parameters: parameters, count: rows)
        // The behaviour policy: the current one moved by a log-ratio offset per row, so that the
        // ratios are 0.55-1.8, and values off by up to ±0.6 (ε = 0.2).
        let offsets: [Float] = [-0.6, -0.3, -0.1, 0.05, 0.15, 0.4, 0.6, -0.05, 0.3, -0.45, 0.1, 0.5]
        for i in 0..<rows {
            let output = acting.output(row: i)
            rollout.evaluate(row: i, output: output)
            let logProbability: Float
            switch model.policy {
            case .categorical:
                let action = rng.nextInt(below: actionCount)
                rollout.actions[i] = Int32(action)
                logProbability = rollout.logProbabilities.pointer[i * actionCount + action]
            case .gaussian(let d, let form):
                for j in 0..<d { rollout.continuousActions.pointer[i * d + j] = Float(rng.uniform(-2, 2)) }
                logProbability = Gaussian.logProbability(
                    action: rollout.continuousActions.pointer + i * d, row: output, count: d, form: form)
            }
            rollout.actionLogProbabilities.pointer[i] = logProbability - offsets[i]
            rollout.values.pointer[i] += offsets[(i + 5) % rows]
            rollout.returns.pointer[i] = Float(rng.uniform(-2, 2))
        }
        // A minibatch of 8 of the 12 rows, out of order.
        let batch: [Int32] = [7, 2, 11, 0, 5, 9, 3, 10]
        let advantages = batch.indices.map { $0 % 2 == 0 ? Float(rng.uniform(0.3, 2)) : Float(rng.uniform(-2, -0.3)) }
        let loss = PPOLoss(clipRange: 0.2, entropyBeta: 0.05, valueCoefficient: 0.5, clipValueLoss: clipValues)

        let learner = Network(spec: spec, maxBatch: batch.count)
        func forward(_ p: [Float]) {
            for (j, i) in batch.enumerated() {
                learner.input(row: j).update(from: rollout.observation(row: Int(i)), count: 5)
            }
            learner.forward(parameters: p, count: batch.count)
        }
        forward(parameters)
        let scratch = FloatBuffer(count: 2 * actionCount)
        let terms = batch.withUnsafeBufferPointer { b in
            advantages.withUnsafeBufferPointer { a in
                loss.gradient(
                    rollout: rollout, batch: b, advantages: a.baseAddress!, outputs: learner.output(row: 0),
                    outputGradients: learner.outputGradient(row: 0), scale: 1, scratch: scratch.pointer)
            }
        }
        // Both regions of the surrogate are in the minibatch.
        #expect(terms.clipFraction > 0.1 && terms.clipFraction < 0.9, "clip fraction \(terms.clipFraction)")
        #expect(terms.approximateKL > 0)
        var gradient = [Float](repeating: .nan, count: parameters.count)
        learner.backward(parameters: parameters, gradient: &gradient, count: batch.count)

        func lossValue(_ p: [Float]) -> Double {
            forward(p)
            return loss.value(rollout: rollout, batch: batch, advantages: advantages, outputs: learner.output(row: 0))
        }
        expectCentralDifferences(
            parameters: parameters, gradient: gradient, step: 2e-3, label: "\(policy), value clipping \(clipValues)", loss: lossValue)
    }

    /// At the parameters that acted, every ratio is 1: the surrogate's gradient is the plain
    /// policy gradient of the actor-critic loss on the same advantages (and without value
    /// clipping the value gradient too), so PPO's first step is A2C's.
    @Test func atTheBehaviourPolicyTheGradientIsTheActorCriticOne() throws {
        let model = try ActorCriticModel(architecture: .mlp, observationShape: [4], actionCount: 3, hiddenSizes: [8])
        let rows = 6
        var parameters = [Float](repeating: 0, count: model.parameterCount)
        parameters.withUnsafeMutableBufferPointer { model.initialize($0.baseAddress!, seed: 2) }
        var rng = Xoshiro256(seed: 9)
        let rollout = Rollout(steps: rows, environmentCount: 1, policy: model.policy, observationWidth: 4)
        for i in 0..<(rows * 4) { rollout.observations.pointer[i] = Float(rng.uniform(-1, 1)) }
        let network = Network(spec: model.network, maxBatch: rows, inputs: rollout.observations)
        network.forward(parameters: parameters, count: rows)
        for i in 0..<rows {
            rollout.evaluate(row: i, output: network.output(row: i))
            let action = rng.nextInt(below: 3)
            rollout.actions[i] = Int32(action)
            rollout.actionLogProbabilities.pointer[i] = rollout.logProbabilities.pointer[i * 3 + action]
            rollout.returns.pointer[i] = Float(rng.uniform(-1, 1))
            rollout.advantages.pointer[i] = Float(rng.uniform(-1, 1))
        }
        let actorCritic = FloatBuffer(count: rows * 4)
        _ = ActorCriticLoss(entropyBeta: 0.01, valueCoefficient: 0.25).gradient(
            rollout: rollout, outputs: network.output(row: 0), outputGradients: actorCritic.pointer, scale: 0.5)
        let batch = (0..<rows).map(Int32.init)
        let ppo = FloatBuffer(count: rows * 4)
        let scratch = FloatBuffer(count: 6)
        _ = batch.withUnsafeBufferPointer { b in
            PPOLoss(clipRange: 0.1, entropyBeta: 0.01, valueCoefficient: 0.25, clipValueLoss: false).gradient(
                rollout: rollout, batch: b, advantages: rollout.advantages.pointer, outputs: network.output(row: 0),
                outputGradients: ppo.pointer, scale: 0.5, scratch: scratch.pointer)
        }
        for k in 0..<(rows * 4) { #expect(abs(ppo.pointer[k] - actorCritic.pointer[k]) <= 1e-6, "output gradient \(k)") }
    }

    /// With 1 epoch of 1 minibatch, no value clipping and A2C's coefficients, every PPO update is
    /// A2C's: each is the first on its rollout, where every ratio is 1. Without advantage
    /// normalisation bit for bit; with it on both sides, both normalise the same rows (one worker's
    /// rollout), PPO in its shuffled order, so to rounding. (One-step rollouts: A2C sums the loss
    /// over a rollout's steps and PPO takes the mean over its rows, which differ by the factor t-max.)
    @Test(arguments: [false, true])
    func oneEpochOfOneMinibatchIsA2C(normalizingAdvantages: Bool) throws {
        func run(_ algorithm: Algorithm, normalizing: Bool = normalizingAdvantages) throws -> [Float] {
            var config = TrainingConfig()
            config.algorithm = algorithm
            config.workers = 1
            config.envsPerWorker = 8
            config.tMax = 1
            config.gaeLambda = 0.95
            config.seed = 11
            config.totalSteps = normalizingAdvantages ? 400 : 4000
            config.targetReturn = 1e9
            config.normalizeAdvantages = normalizing
            if algorithm == .ppo {
                config.epochs = 1
                config.minibatches = 1
                config.clipValueLoss = false
            }
            let trainer = try Trainer(config: config)
            _ = try trainer.run()
            #expect(trainer.progress.updates == config.totalSteps / 8)
            return trainer.parameters.array
        }
        let a2c = try run(.a2c), ppo = try run(.ppo)
        if normalizingAdvantages {
            let largest = zip(a2c, ppo).map { abs($0 - $1) }.max() ?? 0
            #expect(largest < 1e-5, "largest parameter difference \(largest)")
            #expect(a2c != (try run(.a2c, normalizing: false)))
        } else {
            #expect(a2c == ppo)
        }
        var untrained = TrainingConfig()
        untrained.seed = 11
        #expect(a2c != (try Trainer(config: untrained)).parameters.array)
    }

    /// A recurrent minibatch of some of a rollout's environments, in another order, gives each of
    /// its rows the output the row had while acting: each sequence starts from the state its
    /// environment stored at the rollout's start (carried from an earlier rollout, or zeros where
    /// an episode started), and starts again from zeros after an episode's end.
    @Test func recurrentMinibatchesReplayTheRolloutsSequences() throws {
        let model = try ActorCriticModel(
            architecture: .mlpLSTM, observationShape: [3], actionCount: 2, hiddenSizes: [8], lstmSize: 6)
        var parameters = [Float](repeating: 0, count: model.parameterCount)
        parameters.withUnsafeMutableBufferPointer { model.initialize($0.baseAddress!, seed: 4) }
        var rng = Xoshiro256(seed: 12)
        let steps = 5, n = 4
        let width = Network.recurrentStateWidth(of: model.network)
        #expect(width == 12)
        let rollout = Rollout(steps: steps, environmentCount: n, policy: model.policy, observationWidth: 3, recurrentStateWidth: width)
        let acting = Network(
            spec: model.network, maxBatch: Rollout.observationRows(steps: steps, environmentCount: n), sequenceStride: n,
            inputs: rollout.observations)
        func randomObservations(rows: Int) {
            for i in 0..<(rows * 3) { rollout.observations.pointer[i] = Float(rng.uniform(-1, 1)) }
        }
        // An earlier rollout leaves a state to carry.
        randomObservations(rows: steps * n)
        acting.forward(parameters: parameters, count: steps * n)
        acting.carryRecurrentState(fromRow: (steps - 1) * n)
        // This one: environment 2 starts an episode at its first row; 1 and 3 end one at steps 1 and 2.
        randomObservations(rows: steps * n)
        let startsEpisode = [false, false, true, false]
        acting.clearEpisodeStarts(count: steps * n)
        for e in 0..<n where startsEpisode[e] { acting.markEpisodeStart(row: e) }
        rollout.storeInitialStates(from: acting, startsEpisode: startsEpisode)
        for row in 0..<(steps * n) { rollout.continues.pointer[row] = 1 }
        for (step, e) in [(1, 1), (2, 3)] {
            rollout.continues.pointer[step * n + e] = 0
            acting.markEpisodeStart(row: (step + 1) * n + e)
        }
        for t in 0..<steps { acting.forward(parameters: parameters, first: t * n, count: n) }

        let learner = Network(spec: model.network, maxBatch: steps * 3, sequenceStride: 3)
        var rows = [Int32](repeating: -1, count: steps * 3)
        rollout.loadSequences([3, 1, 2], into: learner, rows: &rows)
        learner.forward(parameters: parameters, count: steps * 3)
        for (j, row) in rows.enumerated() {
            #expect(Int(row) == (j / 3) * n + [3, 1, 2][j % 3])
            for k in 0..<3 {
                let a = learner.output(row: j)[k], b = acting.output(row: Int(row))[k]
                #expect(abs(a - b) <= 1e-5, "minibatch row \(j) (rollout row \(row)), output \(k): \(a) against \(b)")
            }
        }
        // Without the stored states the first steps differ: the test can tell.
        let fresh = Network(spec: model.network, maxBatch: steps * 3, sequenceStride: 3)
        for j in 0..<(steps * 3) { fresh.input(row: j).update(from: learner.input(row: j), count: 3) }
        fresh.forward(parameters: parameters, count: steps * 3)
        #expect(abs(fresh.output(row: 0)[0] - learner.output(row: 0)[0]) > 1e-6)
    }

    /// PPO learns CartPole with its defaults, and in one process two runs with one seed end with
    /// the same parameters (every update waits for both workers' minibatch shares).
    /// `--precision auto` takes bf16 only for PPO with the Nature network, and only where the CPU
    /// has bf16 arithmetic; an explicit precision is kept.
    @Test func autoPrecisionIsBF16ForPPOWithTheNatureNetworkOnly() {
        let ppoAtari = TrainingConfig.defaults(for: "ALE/Pong-v5", network: nil, algorithm: .ppo)
        #expect(ppoAtari.network == .nature && ppoAtari.precision == .auto)
        #expect(ppoAtari.resolvedPrecision == (Precision.bf16Available ? .bf16 : .fp32))
        var fp32 = ppoAtari
        fp32.precision = .fp32
        #expect(fp32.resolvedPrecision == .fp32)
        for config in [
            TrainingConfig.defaults(for: "ALE/Pong-v5"), TrainingConfig.defaults(for: "ALE/Pong-v5", network: .paper, algorithm: .ppo),
            TrainingConfig.defaults(for: "CartPole-v1", network: nil, algorithm: .ppo),
        ] {
            #expect(config.resolvedPrecision == .fp32, "\(config.algorithm) \(config.network)")
        }
    }

    @Test func solvesCartPoleAndIsReproducible() throws {
        var config = TrainingConfig.defaults(for: "CartPole-v1", network: nil, algorithm: .ppo)
        config.workers = 2
        config.seed = 1
        let summary = try Trainer(config: config).run()
        #expect(summary.solved, "mean of the last 100 returns: \(summary.meanReturn100 ?? -1) after \(summary.steps) steps")

        config.totalSteps = 8192
        config.targetReturn = 1e9
        let first = try Trainer(config: config), second = try Trainer(config: config)
        _ = try first.run()
        _ = try second.run()
        #expect(first.parameters.array == second.parameters.array)
        // 16 rollouts of 512 rows, 16 updates each; the budget ends the last after its first.
        #expect(first.progress.updates == 15 * 16 + 1)
    }

    /// A target KL ends a rollout's passes for both workers at the same update: with a tiny target
    /// every rollout stops after its first pass (its last update moved the policy); with a
    /// moderate one some do and some do not, and two runs still agree bit for bit.
    @Test func aTargetKLEndsEveryWorkersPassesTogether() throws {
        var config = TrainingConfig.defaults(for: "CartPole-v1", network: nil, algorithm: .ppo)
        config.workers = 2
        config.seed = 1
        config.totalSteps = 8192
        config.targetReturn = 1e9
        config.targetKL = 1e-9
        let tiny = try Trainer(config: config)
        _ = try tiny.run()
        #expect(tiny.progress.updates == 15 * 4 + 1)

        config.targetKL = 1e-4
        let first = try Trainer(config: config), second = try Trainer(config: config)
        _ = try first.run()
        _ = try second.run()
        #expect(first.progress.updates > 15 * 4 + 1 && first.progress.updates < 15 * 16 + 1, "\(first.progress.updates) updates")
        #expect(first.parameters.array == second.parameters.array)
        #expect(first.progress.steps == 8192)
    }
}

/// The policies the PPO loss is checked with.
enum PolicyChoice: CustomStringConvertible, Sendable {
    case categorical, gaussianState, gaussianParameter

    var form: Gaussian.Form? {
        switch self {
        case .categorical: nil
        case .gaussianState: .state
        case .gaussianParameter: .parameter
        }
    }

    var description: String {
        switch self {
        case .categorical: "categorical"
        case .gaussianState: "Gaussian, σ from the state"
        case .gaussianParameter: "Gaussian, σ a parameter"
        }
    }
}
