import NeuralNet

/// What one worker saw and did over `steps` steps of its `environmentCount` environments:
/// observations, actions with their behaviour log-probabilities, rewards, the policy's
/// probabilities and the critic's values, episode ends, and the returns and advantages computed
/// from them. Row `step * environmentCount + environment`, the order of the network's rows, so row
/// `i` here belongs to network row `i`. It is what passes from acting to learning: an update rule
/// learns from it alone.
///
/// Owned by one worker; allocated once, reused every rollout. Not thread-safe.
public final class Rollout {
    /// Steps per rollout (t_max).
    public let steps: Int
    /// Environments stepped together.
    public let environmentCount: Int
    /// Discrete actions, or continuous action dimensions.
    public let actionCount: Int
    /// What the policy outputs are (and so what an action is).
    public let policy: PolicyKind
    /// Values per observation (0: the rollout keeps none).
    public let observationWidth: Int

    /// `observationRows` observations: row i of the first `rows` is what row i's action was taken
    /// on; then each environment's observation after the last step (what its bootstrap value is
    /// taken from); then, at `finalRowsStart + e`, the last observation of environment e's episode
    /// when it was cut short during the rollout. The acting network reads and writes them in place.
    public let observations: FloatBuffer
    /// log π(a_t|s_t) of each row's action, under the parameters that acted (the behaviour policy).
    public let actionLogProbabilities: FloatBuffer
    /// Floats of recurrent state per environment (0 for a feed-forward network).
    public let recurrentStateWidth: Int
    /// The recurrent state each environment's first row started from (zeros where an episode
    /// started there), `recurrentStateWidth` per environment.
    public let initialStates: FloatBuffer

    /// The action taken in each row (discrete policies).
    public let actions: UnsafeMutablePointer<Int32>
    /// The action taken in each row, `actionCount` Floats per row as sampled, before any clipping
    /// to the environment's bounds (continuous policies; empty otherwise).
    public let continuousActions: FloatBuffer
    /// Rewards to learn from; a truncated episode's last reward includes γ V(final observation).
    public let rewards: FloatBuffer
    /// V(s_t) as the critic gave it while acting.
    public let values: FloatBuffer
    /// 0 where the environment's episode ended at that step (nothing flows back across it), else 1.
    public let continues: FloatBuffer
    /// Entropy of the policy in each row.
    public let entropies: FloatBuffer
    /// π(·|s), `actionCount` per row.
    public let probabilities: FloatBuffer
    /// log π(·|s), `actionCount` per row.
    public let logProbabilities: FloatBuffer
    /// V of each environment's observation after the last step (ignored where that step ended the
    /// episode: `continues` is 0 there).
    public let bootstrapValues: FloatBuffer
    /// Critic targets, from `computeReturns`.
    public let returns: FloatBuffer
    /// Advantages, from `computeReturns`.
    public let advantages: FloatBuffer

    /// Storage for `steps` steps of `environmentCount` environments with `actionCount` discrete actions.
    public convenience init(steps: Int, environmentCount: Int, actionCount: Int) {
        self.init(steps: steps, environmentCount: environmentCount, policy: .categorical(actions: actionCount))
    }

    /// Storage for `steps` steps of `environmentCount` environments acting with `policy` on
    /// observations of `observationWidth` values.
    public init(steps: Int, environmentCount: Int, policy: PolicyKind, observationWidth: Int = 0, recurrentStateWidth: Int = 0) {
        precondition(steps > 0 && environmentCount > 0 && policy.width > 0, "empty rollout")
        self.steps = steps
        self.environmentCount = environmentCount
        self.policy = policy
        self.observationWidth = observationWidth
        self.recurrentStateWidth = recurrentStateWidth
        initialStates = FloatBuffer(count: environmentCount * recurrentStateWidth)
        observations = FloatBuffer(count: Self.observationRows(steps: steps, environmentCount: environmentCount) * observationWidth)
        let categorical: Int
        switch policy {
        case .categorical(let count): (actionCount, categorical) = (count, count)
        case .gaussian(let dimensions, _): (actionCount, categorical) = (dimensions, 0)
        }
        let rows = steps * environmentCount
        actions = .allocate(capacity: rows)
        actions.initialize(repeating: 0, count: rows)
        continuousActions = FloatBuffer(count: categorical == 0 ? rows * actionCount : 0)
        actionLogProbabilities = FloatBuffer(count: rows)
        rewards = FloatBuffer(count: rows)
        values = FloatBuffer(count: rows)
        continues = FloatBuffer(count: rows)
        entropies = FloatBuffer(count: rows)
        probabilities = FloatBuffer(count: rows * categorical)
        logProbabilities = FloatBuffer(count: rows * categorical)
        bootstrapValues = FloatBuffer(count: environmentCount)
        returns = FloatBuffer(count: rows)
        advantages = FloatBuffer(count: rows)
    }

    deinit { actions.deallocate() }

    /// Rows in a full rollout.
    @inlinable public var rows: Int { steps * environmentCount }

    /// Observation rows a rollout of `steps` steps keeps: the steps', the bootstrap row of each
    /// environment and a row for each environment's truncated episode.
    public static func observationRows(steps: Int, environmentCount: Int) -> Int { (steps + 2) * environmentCount }

    /// Where environment e's truncated last observation goes: `finalRowsStart + e`.
    @inlinable public var finalRowsStart: Int { (steps + 1) * environmentCount }

    /// Observation row `row`.
    @inlinable public func observation(row: Int) -> UnsafeMutablePointer<Float> {
        observations.pointer + row * observationWidth
    }

    /// The state environment `environment`'s first row started from.
    @inlinable public func initialState(environment: Int) -> UnsafeMutablePointer<Float> {
        initialStates.pointer + environment * recurrentStateWidth
    }

    /// Stores the state each environment starts this rollout from: `network`'s carried state, or
    /// zeros where `startsEpisode` says an episode starts at the first row.
    public func storeInitialStates(from network: Network, startsEpisode: [Bool]) {
        for e in 0..<environmentCount {
            if startsEpisode[e] {
                initialState(environment: e).update(repeating: 0, count: recurrentStateWidth)
            } else {
                network.saveRecurrentState(slot: e, into: initialState(environment: e))
            }
        }
    }

    /// Loads environments `environments` of this rollout into `network` (whose sequence stride is
    /// `environments.count`) as whole sequences: its row t x k + j is row t x environmentCount +
    /// environments[j] here (written to `rows`), with that row's observation, sequence j starts
    /// from the environment's stored initial state, and a row after an episode's end starts from
    /// zeros, as it did while acting.
    public func loadSequences(
        _ environments: some RandomAccessCollection<Int>, into network: Network, rows: UnsafeMutablePointer<Int32>
    ) {
        let k = environments.count
        precondition(network.sequenceStride == k, "the network's sequences are not the minibatch's environments")
        network.clearEpisodeStarts(count: steps * k)
        for (j, e) in environments.enumerated() {
            network.loadRecurrentState(slot: j, from: initialState(environment: e))
            for t in 0..<steps {
                let row = t * environmentCount + e
                rows[t * k + j] = Int32(row)
                network.input(row: t * k + j).update(from: observation(row: row), count: observationWidth)
                if t > 0 && continues.pointer[row - environmentCount] == 0 { network.markEpisodeStart(row: t * k + j) }
            }
        }
    }

    /// Reads the policy and value off network output `output` (logits..., value) for `row`:
    /// probabilities, log-probabilities, entropy and value are stored; returns the probabilities.
    /// A Gaussian policy's row keeps only its entropy and value (its μ and σ stay in the output).
    @inlinable @discardableResult
    public func evaluate(row: Int, output: UnsafePointer<Float>) -> UnsafeMutablePointer<Float> {
        switch policy {
        case .categorical:
            let p = probabilities.pointer + row * actionCount
            entropies.pointer[row] = Categorical.evaluate(
                logits: output, count: actionCount, probabilities: p,
                logProbabilities: logProbabilities.pointer + row * actionCount)
            values.pointer[row] = output[actionCount]
            return p
        case .gaussian(let dimensions, let form):
            entropies.pointer[row] = Gaussian.entropy(row: output, count: dimensions, form: form)
            values.pointer[row] = output[2 * dimensions]
            return probabilities.pointer
        }
    }

    /// Fills `returns` and `advantages` for every row, environment by environment, from the rewards,
    /// values, episode ends and bootstrap values: n-step returns, or GAE with `gaeLambda`.
    public func computeReturns(gamma: Float, gaeLambda: Float?) {
        let stride = environmentCount
        for environment in 0..<environmentCount {
            let bootstrap = bootstrapValues.pointer[environment]
            if let gaeLambda {
                Returns.generalizedAdvantage(
                    rewards: rewards.pointer + environment, values: values.pointer + environment, count: steps,
                    bootstrap: bootstrap, gamma: gamma, lambda: gaeLambda,
                    returns: returns.pointer + environment, advantages: advantages.pointer + environment,
                    stride: stride, continues: continues.pointer + environment)
            } else {
                Returns.nStep(
                    rewards: rewards.pointer + environment, values: values.pointer + environment, count: steps,
                    bootstrap: bootstrap, gamma: gamma,
                    returns: returns.pointer + environment, advantages: advantages.pointer + environment,
                    stride: stride, continues: continues.pointer + environment)
            }
        }
    }
}
