/// Targets for the critic and advantages for the actor, computed backwards over one rollout.
public enum Returns {
    /// Bootstrapped n-step returns: R_t = r_t + γ R_{t+1}, R_T = `bootstrap` (0 after termination,
    /// V(s_T) after truncation or when the rollout stopped at t_max). Advantages are R_t - V(s_t).
    @inlinable
    public static func nStep(
        rewards: UnsafePointer<Float>, values: UnsafePointer<Float>, count: Int,
        bootstrap: Float, gamma: Float,
        returns: UnsafeMutablePointer<Float>, advantages: UnsafeMutablePointer<Float>
    ) {
        var running = bootstrap
        var t = count - 1
        while t >= 0 {
            running = rewards[t] + gamma * running
            returns[t] = running
            advantages[t] = running - values[t]
            t -= 1
        }
    }

    /// Generalised advantage estimation (Schulman et al. 2016): δ_t = r_t + γ V(s_{t+1}) - V(s_t),
    /// A_t = δ_t + γλ A_{t+1}, with V(s_T) = `bootstrap`. Critic targets are A_t + V(s_t).
    /// λ = 1 gives the n-step advantages, λ = 0 the one-step TD error.
    @inlinable
    public static func generalizedAdvantage(
        rewards: UnsafePointer<Float>, values: UnsafePointer<Float>, count: Int,
        bootstrap: Float, gamma: Float, lambda: Float,
        returns: UnsafeMutablePointer<Float>, advantages: UnsafeMutablePointer<Float>
    ) {
        var nextValue = bootstrap
        var running: Float = 0
        var t = count - 1
        while t >= 0 {
            let delta = rewards[t] + gamma * nextValue - values[t]
            running = delta + gamma * lambda * running
            advantages[t] = running
            returns[t] = running + values[t]
            nextValue = values[t]
            t -= 1
        }
    }
}
