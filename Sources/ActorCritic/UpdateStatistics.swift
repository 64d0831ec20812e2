import Environments

/// A figure the updates report, by name: its column in `metrics.csv` and its TensorBoard tag.
public struct UpdateMetric: Sendable, Hashable {
    /// Column of `metrics.csv`.
    public let column: String
    /// TensorBoard tag.
    public let tag: String

    public static let policyLoss = UpdateMetric(column: "policy_loss", tag: "loss/policy")
    public static let valueLoss = UpdateMetric(column: "value_loss", tag: "loss/value")
    public static let entropy = UpdateMetric(column: "entropy", tag: "policy/entropy")
    public static let maxProbability = UpdateMetric(column: "max_probability", tag: "policy/max_probability")
    public static let actionStd = UpdateMetric(column: "action_std", tag: "policy/action_std")
    public static let gradientNorm = UpdateMetric(column: "gradient_norm", tag: "train/gradient_norm")
    public static let clippedUpdateFraction = UpdateMetric(column: "clipped_update_fraction", tag: "train/clipped_update_fraction")
    public static let explainedVariance = UpdateMetric(column: "explained_variance", tag: "value/explained_variance")
    public static let deadUnitFraction = UpdateMetric(column: "dead_unit_fraction", tag: "network/dead_unit_fraction")
    public static let clipFraction = UpdateMetric(column: "clip_fraction", tag: "ppo/clip_fraction")
    public static let approximateKL = UpdateMetric(column: "approx_kl", tag: "ppo/approx_kl")
}

/// Means of the loss terms and diagnostics over a span of updates, for logs.
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
    /// Share of the updates whose gradient norm was above `--max-grad-norm` (and so was clipped);
    /// nil when clipping is off.
    public var clippedUpdateFraction: Double?
    /// 1 - Var(R - V) / Var(R) over every row of the span's rollouts: 1 is a perfect critic, 0 one
    /// no better than a constant, below 0 a harmful one; nil when the targets did not vary.
    public var explainedVariance: Double?
    /// Mean share of the trunk's ReLU/ELU units active in no row of an update's rollout; nil for
    /// networks without such units.
    public var deadUnitFraction: Double?
    /// PPO: mean share of rows whose probability ratio was clipped; nil for other rules.
    public var clipFraction: Double?
    /// PPO: mean approximate KL divergence of each update's policy from the one that acted; nil
    /// for other rules.
    public var approximateKL: Double?
    /// Updates dropped because their gradient was NaN or infinite (not in the other fields).
    public var skippedUpdates = 0
    /// Empty statistics: no updates, every mean 0.
    public init() {}

    /// The span's figures by name, for the logs: nothing without updates; σ for a Gaussian policy
    /// and the largest probability for a categorical one.
    public var metrics: [(metric: UpdateMetric, value: Double)] {
        guard updates > 0 else { return [] }
        var list: [(UpdateMetric, Double)] = [
            (.policyLoss, policyLoss), (.valueLoss, valueLoss), (.entropy, entropy),
            actionStd > 0 ? (.actionStd, actionStd) : (.maxProbability, maxProbability), (.gradientNorm, gradientNorm),
        ]
        if let clippedUpdateFraction { list.append((.clippedUpdateFraction, clippedUpdateFraction)) }
        if let explainedVariance { list.append((.explainedVariance, explainedVariance)) }
        if let deadUnitFraction { list.append((.deadUnitFraction, deadUnitFraction)) }
        if let clipFraction { list.append((.clipFraction, clipFraction)) }
        if let approximateKL { list.append((.approximateKL, approximateKL)) }
        return list
    }

    /// 1 - Var(e) / Var(R) from the means of R, R² and e = R - V, and of e² (`valueLoss`); nil
    /// when R does not vary.
    static func explainedVariance(returnMean: Double, returnSquareMean: Double, errorMean: Double, errorSquareMean: Double)
        -> Double?
    {
        let returnVariance = returnSquareMean - returnMean * returnMean
        guard returnVariance > 1e-12 * max(1, returnSquareMean) else { return nil }
        let errorVariance = max(0, errorSquareMean - errorMean * errorMean)
        return 1 - errorVariance / returnVariance
    }
}

/// Sums loss terms from all workers until the monitor takes them.
/// Concurrency: a mutex per update; with a handful of workers it is never contended for long.
public final class UpdateAccumulator: Sendable {
    private struct Sums {
        var statistics = UpdateStatistics()
        var terms = [Double](repeating: 0, count: ActorCriticLoss.Terms.fields.count)
        var clipped = 0
    }

    private let sums = Locked(Sums())
    /// Gradients above this norm are clipped (infinity: never).
    private let maxGradNorm: Float
    /// The network has ReLU/ELU units to count.
    private let measuresDeadUnits: Bool
    /// The rule clips a probability ratio (PPO).
    private let clipsRatio: Bool

    /// Gradients above `maxGradNorm` (0: none) count as clipped; `measuresDeadUnits` when the
    /// network has ReLU/ELU units; `clipsRatio` when the update rule is PPO's.
    public init(maxGradNorm: Float, measuresDeadUnits: Bool, clipsRatio: Bool = false) {
        self.maxGradNorm = maxGradNorm > 0 ? maxGradNorm : .infinity
        self.measuresDeadUnits = measuresDeadUnits
        self.clipsRatio = clipsRatio
    }

    /// Adds one worker's rollout; `isNewUpdate` is false for the other workers' shares of one A2C update.
    public func add(_ terms: ActorCriticLoss.Terms, gradientNorm: Float, isNewUpdate: Bool) {
        sums.withLock { s in
            guard gradientNorm.isFinite else {
                if isNewUpdate { s.statistics.skippedUpdates += 1 }
                return
            }
            if isNewUpdate {
                s.statistics.updates += 1
                if gradientNorm > maxGradNorm { s.clipped += 1 }
            }
            s.statistics.rollouts += 1
            for (i, field) in ActorCriticLoss.Terms.fields.enumerated() { s.terms[i] += Double(terms[keyPath: field]) }
            s.statistics.gradientNorm += Double(gradientNorm)
        }
    }

    /// The means since the last call, and a fresh start.
    public func drain() -> UpdateStatistics {
        let s = sums.withLock { s in
            defer { s = Sums() }
            return s
        }
        var statistics = s.statistics
        guard statistics.rollouts > 0 else { return statistics }
        let n = Double(statistics.rollouts)
        let means = Dictionary(uniqueKeysWithValues: zip(ActorCriticLoss.Terms.fields, s.terms.map { $0 / n }))
        statistics.policyLoss = means[\.policyLoss]!
        statistics.valueLoss = means[\.valueLoss]!
        statistics.entropy = means[\.entropy]!
        statistics.maxProbability = means[\.maxProbability]!
        statistics.actionStd = means[\.actionStd]!
        statistics.gradientNorm /= n
        statistics.explainedVariance = UpdateStatistics.explainedVariance(
            returnMean: means[\.returnMean]!, returnSquareMean: means[\.returnSquareMean]!,
            errorMean: means[\.valueErrorMean]!, errorSquareMean: means[\.valueLoss]!)
        if measuresDeadUnits { statistics.deadUnitFraction = means[\.deadUnitFraction]! }
        if clipsRatio { (statistics.clipFraction, statistics.approximateKL) = (means[\.clipFraction]!, means[\.approximateKL]!) }
        if maxGradNorm.isFinite, statistics.updates > 0 {
            statistics.clippedUpdateFraction = Double(s.clipped) / Double(statistics.updates)
        }
        return statistics
    }
}
