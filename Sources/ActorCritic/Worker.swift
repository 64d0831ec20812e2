import Environments
import NeuralNet
import Randomness

/// One actor-learner: its own environment, network and local parameters. Each iteration copies the
/// global parameters, acts for up to t_max steps, computes returns and the loss gradient on the
/// stored activations, and applies it to the global parameters through the shared optimizer.
///
/// Nothing is allocated inside the loop. Not thread-safe: it runs on the thread that made it.
final class Worker {
    let index: Int
    let shared: SharedTraining
    let environment: any Environment
    let network: Network
    let localParameters: FloatBuffer
    let gradient: FloatBuffer
    let loss: ActorCriticLoss
    let actionCount: Int
    let observationCount: Int
    let tMax: Int
    var rng: Xoshiro256
    let environmentSeed: UInt64

    // Per-step rollout storage, t_max rows each.
    let actions: UnsafeMutablePointer<Int32>
    let rewards: FloatBuffer
    let values: FloatBuffer
    let returns: FloatBuffer
    let advantages: FloatBuffer
    let entropies: FloatBuffer
    let probabilities: FloatBuffer
    let logProbabilities: FloatBuffer

    var episodeReturn = 0.0
    var episodeLength = 0
    private var lastTerms = ActorCriticLoss.Terms()

    init(index: Int, shared: SharedTraining) throws {
        self.index = index
        self.shared = shared
        let config = shared.config
        environment = try shared.environment.make()
        actionCount = shared.model.actionCount
        observationCount = environment.observationSpace.count
        tMax = config.tMax
        // One row per rollout step, plus one for the observation after the last step (bootstrap).
        network = Network(spec: shared.model.network, maxBatch: tMax + 1)
        localParameters = FloatBuffer(count: shared.model.parameterCount)
        gradient = FloatBuffer(count: shared.model.parameterCount)
        loss = ActorCriticLoss(entropyBeta: config.entropyBeta, valueCoefficient: config.valueCoefficient)
        // A resumed run continues with fresh streams, not the first session's again.
        let session = config.seed &+ UInt64(shared.steps.load(ordering: .relaxed)) &* 0x9E37_79B9_7F4A_7C15
        rng = Xoshiro256(seed: session, stream: UInt64(2 * index + 1))
        var seeder = Xoshiro256(seed: session, stream: UInt64(2 * index + 2))
        environmentSeed = seeder.next()
        actions = .allocate(capacity: tMax)
        actions.initialize(repeating: 0, count: tMax)
        rewards = FloatBuffer(count: tMax)
        values = FloatBuffer(count: tMax)
        returns = FloatBuffer(count: tMax)
        advantages = FloatBuffer(count: tMax)
        entropies = FloatBuffer(count: tMax)
        probabilities = FloatBuffer(count: tMax * actionCount)
        logProbabilities = FloatBuffer(count: tMax * actionCount)
    }

    deinit {
        actions.deallocate()
        environment.close()
    }

    @inline(__always)
    private func observationRow(_ row: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: network.input(row: row), count: observationCount)
    }

    /// Runs until the shared stop flag is raised or the step budget is spent; throws what the
    /// environment throws.
    func run() throws {
        try environment.reset(seed: environmentSeed, into: observationRow(0))
        let config = shared.config
        let parameterCount = localParameters.count
        while !shared.shouldStop {
            localParameters.copy(from: shared.parameters)
            let local = UnsafePointer(localParameters.pointer)

            // Act for up to t_max steps, keeping every activation for the backward pass.
            var count = 0
            var episodeEnded = false
            var gameOver = false
            var terminated = false
            while count < tMax {
                network.forward(parameters: local, first: count, count: 1)
                let output = network.output(row: count)
                let p = probabilities.pointer + count * actionCount
                entropies.pointer[count] = Categorical.evaluate(
                    logits: output, count: actionCount, probabilities: p,
                    logProbabilities: logProbabilities.pointer + count * actionCount)
                values.pointer[count] = output[actionCount]
                let action = Categorical.sample(probabilities: p, count: actionCount, uniform: rng.nextUnitFloat())
                actions[count] = Int32(action)
                let result = try environment.step(action, into: observationRow(count + 1))
                rewards.pointer[count] = Float(result.reward)
                episodeReturn += result.score
                episodeLength += 1
                count += 1
                if result.isDone {
                    episodeEnded = true
                    gameOver = result.gameOver
                    terminated = result.terminated
                    break
                }
            }

            // 0 after termination; V(s_T) after truncation or at t_max (the observation is in row `count`).
            var bootstrap: Float = 0
            if !terminated {
                network.forward(parameters: local, first: count, count: 1)
                bootstrap = network.output(row: count)[actionCount]
            }
            if let lambda = config.gaeLambda {
                Returns.generalizedAdvantage(
                    rewards: rewards.pointer, values: values.pointer, count: count, bootstrap: bootstrap,
                    gamma: config.gamma, lambda: lambda, returns: returns.pointer, advantages: advantages.pointer)
            } else {
                Returns.nStep(
                    rewards: rewards.pointer, values: values.pointer, count: count, bootstrap: bootstrap,
                    gamma: config.gamma, returns: returns.pointer, advantages: advantages.pointer)
            }

            lastTerms = loss.gradient(
                outputs: network.output(row: 0), outputGradients: network.outputGradient(row: 0),
                probabilities: probabilities.pointer, logProbabilities: logProbabilities.pointer,
                entropies: entropies.pointer, actions: actions, returns: returns.pointer,
                advantages: advantages.pointer, count: count, actionCount: actionCount)
            network.backward(parameters: local, gradient: gradient.pointer, count: count)
            let gradientNorm = GradientClipping.clipGlobalNorm(
                gradient.pointer, count: parameterCount, maxNorm: config.maxGradNorm > 0 ? config.maxGradNorm : .infinity)
            shared.updateStatistics.add(lastTerms, gradientNorm: gradientNorm)
            let stepsSoFar = shared.steps.wrappingIncrementThenLoad(by: count, ordering: .relaxed)
            shared.optimizer.apply(
                gradient: gradient.pointer, to: shared.parameters.pointer,
                learningRate: shared.schedule.value(at: stepsSoFar - count))
            shared.updates.wrappingIncrement(ordering: .relaxed)

            if episodeEnded {
                // Logs count whole games with their real score; a lost life only restarts the rollout.
                if gameOver {
                    shared.finishEpisode(worker: index, episodeReturn: episodeReturn, length: episodeLength)
                    episodeReturn = 0
                    episodeLength = 0
                }
                try environment.reset(seed: nil, into: observationRow(0))
            } else {
                observationRow(0).baseAddress!.update(from: network.input(row: count), count: observationCount)
            }
            if stepsSoFar >= config.totalSteps { shared.requestStop() }
        }
    }
}
