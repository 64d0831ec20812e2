/// What a finished training run reports; `--summary-json` writes it.
public struct TrainingSummary: Sendable, Codable, Hashable {
    public var env: String
    public var steps: Int
    public var episodes: Int
    public var updates: Int
    public var wallSeconds: Double
    /// Mean return of the last 100 episodes (of fewer, if fewer finished); nil if none did.
    public var meanReturn100: Double?
    public var bestMeanReturn100: Double?
    public var targetReturn: Double?
    /// The 100-episode mean reached the target.
    public var solved: Bool
    public var stepsPerSecond: Double
    public var seed: UInt64
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
    public var steps: Int
    public var totalSteps: Int
    public var episodes: Int
    public var updates: Int
    public var meanReturn100: Double?
    public var elapsedSeconds: Double
}
