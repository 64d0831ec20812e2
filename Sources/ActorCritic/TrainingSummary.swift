/// What a finished training run reports; `--summary-json` writes it.
public struct TrainingSummary: Sendable, Codable, Hashable {
    /// The environment id trained on.
    public var env: String
    /// Environment steps taken by all workers, earlier sessions included.
    public var steps: Int
    /// Training episodes finished, earlier sessions included.
    public var episodes: Int
    /// Parameter updates applied, earlier sessions included.
    public var updates: Int
    /// Seconds this session trained (a resumed run's earlier sessions not included).
    public var wallSeconds: Double
    /// Mean return of the last 100 episodes (of fewer, if fewer finished); nil if none did.
    public var meanReturn100: Double?
    /// Best 100-episode mean return reached; nil before 100 episodes finished.
    public var bestMeanReturn100: Double?
    /// The 100-episode mean that counts as solved (the config's, else the environment's), if any.
    public var targetReturn: Double?
    /// The 100-episode mean reached the target.
    public var solved: Bool
    /// Environment steps per second of wall time in this session.
    public var stepsPerSecond: Double
    /// The run's random seed.
    public var seed: UInt64
    /// Number of worker threads.
    public var workers: Int
    /// Why training stopped: "solved", "step budget", "interrupted".
    public var stopReason: String

    enum CodingKeys: String, CodingKey {
        case env, steps, episodes, updates, solved, seed, workers
        case wallSeconds = "wall_seconds"
        case meanReturn100 = "mean_return_100"
        case bestMeanReturn100 = "best_mean_return_100"
        case targetReturn = "target_return"
        case stepsPerSecond = "steps_per_second"
        case stopReason = "stop_reason"
    }
}

/// A look at a running training, for progress lines.
public struct TrainingProgress: Sendable {
    /// Environment steps taken so far, all workers together.
    public var steps: Int
    /// The step budget (`--steps`).
    public var totalSteps: Int
    /// Training episodes finished so far.
    public var episodes: Int
    /// Parameter updates applied so far.
    public var updates: Int
    /// Mean return of the last 100 episodes (of fewer, if fewer finished); nil if none has.
    public var meanReturn100: Double?
    /// Seconds of training so far, earlier sessions included.
    public var elapsedSeconds: Double
}
