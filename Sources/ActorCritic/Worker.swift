import Environments
import NeuralNet
import Randomness

/// One actor-learner with its own environments, network and local parameters. Each iteration copies
/// the global parameters, acts for t_max steps in all its environments at once (one forward pass
/// over their rows per step) into its `Rollout`, computes returns, and has its update rule learn
/// from the rollout through the hub (A3C and A2C: one gradient from the stored activations, applied
/// at once or summed with the other workers').
///
/// Nothing is allocated per step (a finished episode is one record for the logs). Not thread-safe:
/// it runs on the thread that made it.
final class Worker {
    let index: Int
    let hub: any TrainingHub
    /// The hub's running statistics, when the run normalises observations or rewards: looked up
    /// once, not at every step.
    let observationStatistics: (any RunningStatistics)?, returnStatistics: (any RunningStatistics)?
    /// Replaced when its host dies or hangs (up to `maxHostRestarts` times).
    private(set) var environments: any VectorEnvironment
    private var hostRestarts = 0
    let network: Network
    let rollout: Rollout
    let rule: any UpdateRule
    let localParameters: FloatBuffer
    let actionCount: Int
    /// Where the value sits in a network output row.
    let valueIndex: Int
    /// Continuous actions as sent to the environments: the sampled ones clipped to the bounds.
    let boundedActions: FloatBuffer
    let actionLow: [Float], actionHigh: [Float]
    let observationCount: Int
    let environmentCount: Int
    let tMax: Int
    var rng: Xoshiro256
    let environmentSeeds: [UInt64]

    /// Results of the last batched step, one per environment.
    let results: UnsafeMutablePointer<StepResult>
    var episodeReturns: [Double]
    var episodeLengths: [Int]
    /// The observation in row e of the next rollout begins an episode (a recurrent network forgets there).
    var startsEpisode: [Bool]
    /// With observation normalisation: this rollout's shift and scale per element, and the sums of
    /// the raw observations seen since the last merge.
    let shift: FloatBuffer, scale: FloatBuffer
    let sums: UnsafeMutablePointer<Double>, squares: UnsafeMutablePointer<Double>
    var observationsSeen = 0
    /// With reward normalisation: each environment's discounted return so far, this rollout's
    /// divisor's reciprocal, and the sums of the returns seen since the last merge (one element).
    var discountedReturns: [Float]
    var rewardNormalization: Float = 1
    var returnSum = 0.0, returnSquares = 0.0
    var returnsSeen = 0

    init(index: Int, hub: any TrainingHub) throws {
        self.index = index
        self.hub = hub
        (observationStatistics, returnStatistics) = (hub.observationStatistics(worker: index), hub.returnStatistics(worker: index))
        let config = hub.config
        environmentCount = config.envsPerWorker
        (environments, hostRestarts) = try Self.makeEnvironments(hub: hub, worker: index, restartsSoFar: 0)
        actionCount = hub.model.actionCount
        valueIndex = hub.model.valueIndex
        if case .box(let low, let high) = environments.actionSpace {
            (actionLow, actionHigh) = (low, high)
        } else {
            (actionLow, actionHigh) = ([], [])
        }
        boundedActions = FloatBuffer(count: actionLow.count * environmentCount)
        observationCount = environments.observationSpace.count
        tMax = config.tMax
        rollout = Rollout(
            steps: tMax, environmentCount: environmentCount, policy: hub.model.policy, observationWidth: observationCount,
            recurrentStateWidth: Network.recurrentStateWidth(of: hub.model.network))
        // Row t x n + e is environment e at step t: a recurrent layer's predecessor is n rows up.
        // The network acts on the rollout's observation rows in place.
        network = Network(
            spec: hub.model.network, maxBatch: Rollout.observationRows(steps: tMax, environmentCount: environmentCount),
            sequenceStride: environmentCount, inputs: rollout.observations)
        rule = config.algorithm.updateRule.make(hub: hub, worker: index, environmentCount: environmentCount)
        startsEpisode = Array(repeating: true, count: environmentCount)
        localParameters = FloatBuffer(count: hub.model.parameterCount)
        // A resumed run continues with fresh streams, not the first session's again.
        let session = config.seed &+ UInt64(hub.stepCount) &* 0x9E37_79B9_7F4A_7C15
        rng = Xoshiro256(seed: session, stream: UInt64(2 * index + 1))
        var seeder = Xoshiro256(seed: session, stream: UInt64(2 * index + 2))
        environmentSeeds = (0..<environmentCount).map { _ in seeder.next() }
        results = .allocate(capacity: environmentCount)
        results.initialize(repeating: StepResult(reward: 0, terminated: false, truncated: false), count: environmentCount)
        episodeReturns = Array(repeating: 0, count: environmentCount)
        episodeLengths = Array(repeating: 0, count: environmentCount)
        let normalized = observationStatistics == nil ? 0 : observationCount
        shift = FloatBuffer(count: normalized)
        scale = FloatBuffer(count: normalized)
        sums = .allocate(capacity: normalized)
        sums.initialize(repeating: 0, count: normalized)
        squares = .allocate(capacity: normalized)
        squares.initialize(repeating: 0, count: normalized)
        discountedReturns = Array(repeating: 0, count: environmentCount)
    }

    deinit {
        sums.deallocate()
        squares.deallocate()
        results.deallocate()
        environments.close()
    }

    /// Runs until training stops; throws what the environments throw (a lost host only once the
    /// worker's restarts are used up).
    func run() throws {
        let config = hub.config
        let n = environmentCount
        observationStatistics?.coefficients(shift: shift.pointer, scale: scale.pointer)
        refreshRewardNormalization()
        try resetEnvironments(seeds: environmentSeeds)
        var keepGoing = !hub.shouldStop
        while keepGoing {
            hub.pull(into: localParameters, worker: index)
            let local = UnsafePointer(localParameters.pointer)
            if network.isRecurrent {
                network.clearEpisodeStarts(count: (tMax + 1) * n)
                for e in 0..<n where startsEpisode[e] { network.markEpisodeStart(row: e) }
                rollout.storeInitialStates(from: network, startsEpisode: startsEpisode)
            }
            do {
                try act(parameters: local)
            } catch let error as BridgeError where error.hostLost && hostRestarts < config.maxHostRestarts {
                // The rollout in flight is dropped and the games in progress start again.
                try replaceHost(after: error)
                keepGoing = rule.dropRollout(hub: hub, worker: index)
                // The new games start with the statistics the others go on with (the barrier's).
                observationStatistics?.coefficients(shift: shift.pointer, scale: scale.pointer)
                refreshRewardNormalization()
                try resetEnvironments(seeds: (0..<n).map { _ in rng.next() })
                for e in 0..<n {
                    episodeReturns[e] = 0
                    episodeLengths[e] = 0
                    startsEpisode[e] = true
                    discountedReturns[e] = 0
                }
                continue
            }

            // V of the observations after the last step.
            let last = tMax * n
            network.forward(parameters: local, first: last, count: n)
            for e in 0..<n { rollout.bootstrapValues.pointer[e] = network.output(row: last + e)[valueIndex] }
            rollout.computeReturns(gamma: config.gamma, gaeLambda: config.gaeLambda)
            // What this rollout saw goes in before the update: a synchronous hub merges every
            // worker's, in worker order, at its barrier; the next rollout normalises with the result.
            addToStatistics()
            keepGoing = rule.learn(from: rollout, network: network, parameters: localParameters, hub: hub, worker: index)
            observationStatistics?.coefficients(shift: shift.pointer, scale: scale.pointer)
            refreshRewardNormalization()

            // The observations after the last step start the next rollout, from the state after it.
            rollout.observation(row: 0).update(from: rollout.observation(row: last), count: n * observationCount)
            if network.isRecurrent { network.carryRecurrentState(fromRow: last - n) }
        }
    }

    /// Acts for t_max steps in every environment, keeping every activation for the backward pass.
    private func act(parameters local: UnsafePointer<Float>) throws {
        let n = environmentCount
        for t in 0..<tMax {
            let first = t * n
            network.forward(parameters: local, first: first, count: n)
            try sampleAndStep(first: first)
            if observationStatistics != nil {
                normalize(rows: first + n, count: n, counted: true)
                for e in 0..<n where results[e].isDone { normalize(rows: rollout.finalRowsStart + e, count: 1, counted: false) }
            }
            for e in 0..<n { record(environment: e, row: first + e, parameters: local) }
        }
    }

    /// Samples each environment's action from rows `first ..< first + n` of the network's output,
    /// with its behaviour log-probability, and steps the environments: their next observations go
    /// to the rows after, those of episodes cut short to the final rows.
    private func sampleAndStep(first: Int) throws {
        let n = environmentCount
        // Where the last observations of episodes cut short go; their value is their bootstrap.
        let finalRowsStart = rollout.finalRowsStart
        switch rollout.policy {
        case .categorical:
            for e in 0..<n {
                let row = first + e
                let p = rollout.evaluate(row: row, output: network.output(row: row))
                let action = Categorical.sample(probabilities: p, count: actionCount, uniform: rng.nextUnitFloat())
                rollout.actions[row] = Int32(action)
                rollout.actionLogProbabilities.pointer[row] = rollout.logProbabilities.pointer[row * actionCount + action]
            }
            try environments.step(
                rollout.actions + first, into: rollout.observation(row: first + n),
                finalObservations: rollout.observation(row: finalRowsStart), results: results)
        case .gaussian(let d, let form):
            // The loss sees the action as sampled; the environment gets it within its bounds.
            for e in 0..<n {
                let row = first + e
                let output = network.output(row: row)
                rollout.evaluate(row: row, output: output)
                let action = rollout.continuousActions.pointer + row * d
                Gaussian.sample(row: output, count: d, form: form, into: action) { Float(rng.nextGaussian()) }
                rollout.actionLogProbabilities.pointer[row] = Gaussian.logProbability(
                    action: action, row: output, count: d, form: form)
                for j in 0..<d { boundedActions.pointer[e * d + j] = min(max(action[j], actionLow[j]), actionHigh[j]) }
            }
            try environments.step(
                continuous: boundedActions.pointer, into: rollout.observation(row: first + n),
                finalObservations: rollout.observation(row: finalRowsStart), results: results)
        }
    }

    /// Stores environment `e`'s step result in `row`: its reward (scaled, normalised, and with the
    /// bootstrap value of an episode cut short), whether its episode goes on, and its game's score.
    private func record(environment e: Int, row: Int, parameters local: UnsafePointer<Float>) {
        let config = hub.config
        let n = environmentCount
        let finalRowsStart = rollout.finalRowsStart
        let result = results[e]
        var reward = Float(result.reward) * config.rewardScale
        if returnStatistics != nil {
            // VecNormalize's rule: the reward over the running deviation of the discounted
            // return, which starts again where an episode ends.
            discountedReturns[e] = config.gamma * discountedReturns[e] + reward
            returnSum += Double(discountedReturns[e])
            returnSquares += Double(discountedReturns[e]) * Double(discountedReturns[e])
            returnsSeen += 1
            reward = min(max(reward * rewardNormalization, -ObservationNormalizer.clip), ObservationNormalizer.clip)
            if result.isDone { discountedReturns[e] = 0 }
        }
        if result.truncated && !result.terminated {
            // Cut short, not ended: bootstrap from the last real observation. A recurrent
            // network values it from this row's state, lent to the row before its spare row
            // (the bootstrap row, computed again at the end of the rollout).
            if network.isRecurrent { network.copyRecurrentState(fromRow: row, toRow: finalRowsStart + e - n) }
            network.forward(parameters: local, first: finalRowsStart + e, count: 1)
            reward += config.gamma * network.output(row: finalRowsStart + e)[valueIndex]
        }
        rollout.rewards.pointer[row] = reward
        rollout.continues.pointer[row] = result.isDone ? 0 : 1
        startsEpisode[e] = result.isDone
        if result.isDone && network.isRecurrent { network.markEpisodeStart(row: row + n) }
        episodeReturns[e] += result.score
        episodeLengths[e] += 1
        // Logs count whole games with their real score; a lost life only ends a training episode.
        if result.isDone && result.gameOver {
            hub.finishEpisode(worker: index, episodeReturn: episodeReturns[e], length: episodeLengths[e])
            episodeReturns[e] = 0
            episodeLengths[e] = 0
        }
    }

    /// Starts an episode in every environment; a host lost meanwhile is replaced while restarts are left.
    private func resetEnvironments(seeds: [UInt64]) throws {
        while true {
            do {
                try environments.reset(seeds: seeds, into: rollout.observation(row: 0))
                if observationStatistics != nil { normalize(rows: 0, count: environmentCount, counted: true) }
                return
            } catch let error as BridgeError where error.hostLost && hostRestarts < hub.config.maxHostRestarts {
                try replaceHost(after: error)
            }
        }
    }

    /// Adds the observations and discounted returns counted since the last call to the shared
    /// statistics, and starts counting afresh.
    private func addToStatistics() {
        if let normalizer = observationStatistics {
            normalizer.merge(count: observationsSeen, sums: sums, squares: squares)
            sums.update(repeating: 0, count: observationCount)
            squares.update(repeating: 0, count: observationCount)
            observationsSeen = 0
        }
        if let returnNormalizer = returnStatistics {
            returnNormalizer.merge(count: returnsSeen, sums: &returnSum, squares: &returnSquares)
            (returnSum, returnSquares, returnsSeen) = (0, 0, 0)
        }
    }

    /// Takes the reward divisor's reciprocal, 1 / sqrt(variance of the returns + 1e-8), from the shared statistics.
    private func refreshRewardNormalization() {
        guard let returnNormalizer = returnStatistics else { return }
        var shift: Float = 0
        returnNormalizer.coefficients(shift: &shift, scale: &rewardNormalization)
    }

    /// Normalises network input rows `rows ..< rows + count` in place with this rollout's
    /// statistics; `counted` rows also go into the sums merged at the end of the rollout.
    private func normalize(rows: Int, count: Int, counted: Bool) {
        ObservationNormalizer.normalize(
            rollout.observation(row: rows), count: count, width: observationCount, shift: shift.pointer, scale: scale.pointer,
            sums: counted ? sums : nil, squares: counted ? squares : nil)
        if counted { observationsSeen += count }
    }

    /// New environments (a new host process) in place of those whose host died or hung.
    private func replaceHost(after error: BridgeError) throws {
        hostRestarts += 1
        hub.recordHostRestart(worker: index, restart: hostRestarts, reason: error.description)
        environments.close()
        (environments, hostRestarts) = try Self.makeEnvironments(hub: hub, worker: index, restartsSoFar: hostRestarts)
    }

    /// A worker's environments; a host lost while starting is another restart, made while
    /// restarts are left. Returns them and the restarts spent so far.
    private static func makeEnvironments(
        hub: any TrainingHub, worker: Int, restartsSoFar: Int
    ) throws -> (any VectorEnvironment, Int) {
        var restarts = restartsSoFar
        while true {
            do {
                return (try hub.environment.makeVector(count: hub.config.envsPerWorker), restarts)
            } catch let error as BridgeError where error.hostLost && restarts < hub.config.maxHostRestarts {
                restarts += 1
                hub.recordHostRestart(worker: worker, restart: restarts, reason: error.description)
            }
        }
    }
}
