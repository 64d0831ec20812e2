/// Everything needed to continue a run: parameters, optimizer state, counters and the recent
/// episode returns. A checkpoint is this, plus the configuration.
public struct TrainingState: Sendable {
    /// The global network parameters, flat in the network spec's layout.
    public var parameters: [Float]
    /// The optimizer's buffers by name (`SharedOptimizer.stateBuffers`).
    public var optimizerState: [String: [Float]]
    /// Adam's shared step count (0 for RMSProp).
    public var optimizerSteps: Int
    /// Environment steps taken so far, all workers together.
    public var steps: Int
    /// Parameter updates applied so far.
    public var updates: Int
    /// Training episodes finished so far.
    public var episodes: Int
    /// Wall time spent training so far, over every session of the run.
    public var wallSeconds: Double
    /// The last (up to) 100 episode returns, oldest first.
    public var recentReturns: [Double]
    /// Best 100-episode mean return so far; nil until 100 episodes have finished.
    public var bestMeanReturn100: Double?
    /// The observation normaliser's statistics, for runs that normalise observations.
    public var observationStatistics: ObservationNormalizer.Statistics? = nil
    /// Statistics of the discounted returns rewards are divided by, for runs that normalise rewards.
    public var returnStatistics: ObservationNormalizer.Statistics? = nil

    /// A state from its parts, as `Trainer.snapshot()` and checkpoint readers build it.
    public init(
        parameters: [Float], optimizerState: [String: [Float]], optimizerSteps: Int, steps: Int, updates: Int,
        episodes: Int, wallSeconds: Double, recentReturns: [Double], bestMeanReturn100: Double?
    ) {
        self.parameters = parameters
        self.optimizerState = optimizerState
        self.optimizerSteps = optimizerSteps
        self.steps = steps
        self.updates = updates
        self.episodes = episodes
        self.wallSeconds = wallSeconds
        self.recentReturns = recentReturns
        self.bestMeanReturn100 = bestMeanReturn100
    }
}
