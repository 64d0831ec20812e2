import Environments

/// Means of the loss terms over a span of updates, for logs.
public struct UpdateStatistics: Sendable, Hashable {
    /// Updates in the span.
    public var updates = 0
    /// Rollouts whose loss terms are in the means (A2C: every worker's share of each update).
    var rollouts = 0
    /// Mean policy loss, -log π(a|s) times the advantage, per step.
    public var policyLoss = 0.0
    /// Mean squared value error (R - V)² per step, before the value coefficient.
    public var valueLoss = 0.0
    /// Mean entropy of the policy per step.
    public var entropy = 0.0
    /// Mean largest action probability (how deterministic the policy has become); 0 for a
    /// Gaussian policy.
    public var maxProbability = 0.0
    /// Mean σ of a Gaussian policy over steps and action dimensions; 0 for a categorical policy.
    public var actionStd = 0.0
    /// Mean gradient norm before clipping.
    public var gradientNorm = 0.0
    /// Updates dropped because their gradient was NaN or infinite (not in the other fields).
    public var skippedUpdates = 0
    /// Empty statistics: no updates, every mean 0.
    public init() {}
}

/// Sums loss terms from all workers until the monitor takes them.
/// Concurrency: a mutex per update; with a handful of workers it is never contended for long.
final class UpdateAccumulator: Sendable {
    private let sums = Locked(UpdateStatistics())

    /// Adds one worker's rollout; `isNewUpdate` is false for the other workers' shares of one A2C update.
    func add(_ terms: ActorCriticLoss.Terms, gradientNorm: Float, isNewUpdate: Bool) {
        sums.withLock { s in
            guard gradientNorm.isFinite else {
                if isNewUpdate { s.skippedUpdates += 1 }
                return
            }
            if isNewUpdate { s.updates += 1 }
            s.rollouts += 1
            s.policyLoss += Double(terms.policyLoss)
            s.valueLoss += Double(terms.valueLoss)
            s.entropy += Double(terms.entropy)
            s.maxProbability += Double(terms.maxProbability)
            s.actionStd += Double(terms.actionStd)
            s.gradientNorm += Double(gradientNorm)
        }
    }

    /// The means since the last call, and a fresh start.
    func drain() -> UpdateStatistics {
        var s = sums.withLock { s in
            defer { s = UpdateStatistics() }
            return s
        }
        guard s.rollouts > 0 else { return s }
        let n = Double(s.rollouts)
        s.policyLoss /= n
        s.valueLoss /= n
        s.entropy /= n
        s.maxProbability /= n
        s.actionStd /= n
        s.gradientNorm /= n
        return s
    }
}
