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
    public init(steps: Int, environmentCount: Int, policy: PolicyKind, observationWidth: Int = 0) {
        precondition(steps > 0 && environmentCount > 0 && policy.width > 0, "empty rollout")
        self.steps = steps
        self.environmentCount = environmentCount
        self.policy = policy
        self.observationWidth = observationWidth
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
