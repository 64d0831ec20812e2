/// Targets for the critic and advantages for the actor, computed backwards over one rollout of one
/// environment. Its rows may be spread out (`stride`: one environment's column of a batched
/// rollout) and may cross episode ends (`continues[t]` is 0 where the episode ended at step t, so
/// nothing of the later episode flows back into it).
public enum Returns {
    /// Bootstrapped n-step returns: R_t = r_t + γ c_t R_{t+1}, R_T = `bootstrap` (V(s_T) when the
    /// rollout stopped mid-episode), c_t = `continues[t]` (1 without it). Advantages are R_t - V(s_t).
    /// A terminated episode's last step has c_t = 0; a truncated one's reward already holds γ V(s_T).
    @inlinable
    public static func nStep(
        rewards: UnsafePointer<Float>, values: UnsafePointer<Float>, count: Int,
        bootstrap: Float, gamma: Float,
        returns: UnsafeMutablePointer<Float>, advantages: UnsafeMutablePointer<Float>,
        stride: Int = 1, continues: UnsafePointer<Float>? = nil
    ) {
        var running = bootstrap
        var t = count - 1
        while t >= 0 {
            let i = t * stride
            running = rewards[i] + gamma * (continues?[i] ?? 1) * running
            returns[i] = running
            advantages[i] = running - values[i]
            t -= 1
        }
    }

    /// Generalised advantage estimation (Schulman et al. 2016): δ_t = r_t + γ c_t V(s_{t+1}) - V(s_t),
    /// A_t = δ_t + γλ c_t A_{t+1}, with V(s_T) = `bootstrap` and c_t as in `nStep`. Critic targets
    /// are A_t + V(s_t). λ = 1 gives the n-step advantages, λ = 0 the one-step TD error.
    @inlinable
    public static func generalizedAdvantage(
        rewards: UnsafePointer<Float>, values: UnsafePointer<Float>, count: Int,
        bootstrap: Float, gamma: Float, lambda: Float,
        returns: UnsafeMutablePointer<Float>, advantages: UnsafeMutablePointer<Float>,
        stride: Int = 1, continues: UnsafePointer<Float>? = nil
    ) {
        var nextValue = bootstrap
        var running: Float = 0
        var t = count - 1
        while t >= 0 {
            let i = t * stride
            let next = gamma * (continues?[i] ?? 1)
            let delta = rewards[i] + next * nextValue - values[i]
            running = delta + next * lambda * running
            advantages[i] = running
            returns[i] = running + values[i]
            nextValue = values[i]
            t -= 1
        }
    }

    /// Advantages normalised in place to mean 0 and deviation 1: A_i <- (A_i - m) / (s + 1e-8), m the
    /// mean and s the sample deviation (n - 1) of the `count` values, both summed in Double. Fewer
    /// than two values are left as they are.
    @inlinable
    public static func normalize(_ values: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 1 else { return }
        var sum = 0.0, squares = 0.0
        for i in 0..<count { sum += Double(values[i]) }
        let mean = sum / Double(count)
        for i in 0..<count { squares += (Double(values[i]) - mean) * (Double(values[i]) - mean) }
        let deviation = (squares / Double(count - 1)).squareRoot()
        let scale = Float(1 / (deviation + 1e-8))
        for i in 0..<count { values[i] = (values[i] - Float(mean)) * scale }
    }
}
