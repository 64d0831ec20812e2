/// A reinforcement-learning environment, modelled on Gymnasium's `Env`: `reset` with an optional
/// seed, `step` returning reward, terminated and truncated, and observation and action spaces.
///
/// Observations are written into a caller-owned buffer of `observationSpace.count` Floats, so
/// stepping allocates nothing. Actions are indices into a discrete action space, or vectors of
/// Floats for a box (continuous) one.
/// Not thread-safe: each worker owns its environment.
public protocol Environment: AnyObject {
    /// The Gymnasium id this environment answers to, e.g. "CartPole-v1".
    var id: String { get }
    /// What observations look like.
    var observationSpace: BoxSpace { get }
    /// Number of discrete actions; for a continuous (box) action space, its number of dimensions.
    var actionCount: Int { get }
    /// What actions are: discrete (the default, `actionCount` of them) or a box of Floats.
    var actionSpace: ActionSpace { get }

    /// Starts a new episode and writes its first observation. A seed restarts the environment's
    /// random stream (as `reset(seed=...)` does in Gymnasium); nil continues it. Throws when the
    /// environment cannot go on (a host process that died, say); native ones never throw.
    func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) throws

    /// Applies `action` and writes the next observation.
    func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult
    /// Applies the continuous action `action` (`actionCount` Floats; the environment clips them to
    /// its bounds) and writes the next observation. Only for box action spaces.
    func step(continuous action: UnsafePointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult

    /// Releases what the environment holds (processes, files). Stepping afterwards is an error.
    func close()

    /// The current state as a colour picture, if the environment can draw itself.
    func render() -> RGBFrame?

    /// The mean return that counts as solved, when the environment itself says (a bridged
    /// Gymnasium id reports its registry's); registered native specs carry theirs in the spec.
    var rewardThreshold: Double? { get }
    /// What steps the environment when another process does ("native ALE 0.12.1", "Python
    /// (Gymnasium)"); nil when it runs in this process.
    var hostDescription: String? { get }
}

extension Environment {
    /// Default: discrete, `actionCount` actions.
    public var actionSpace: ActionSpace { .discrete(count: actionCount) }
    /// Default: a discrete environment takes no continuous action (configurations are checked
    /// against the action space before anything steps).
    public func step(continuous action: UnsafePointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        preconditionFailure("\(id) has discrete actions")
    }
    /// Default: there is nothing to release.
    public func close() {}
    /// Default: the environment runs in this process.
    public var hostDescription: String? { nil }
    /// Default: the environment cannot draw itself.
    public func render() -> RGBFrame? { nil }
    /// Default: the environment does not say (a registered spec may).
    public var rewardThreshold: Double? { nil }

    /// Resets and returns the first observation as a new array (convenient; allocates).
    public func reset(seed: UInt64? = nil) throws -> [Float] {
        var observation = [Float](repeating: 0, count: observationSpace.count)
        try observation.withUnsafeMutableBufferPointer { try reset(seed: seed, into: $0) }
        return observation
    }

    /// Steps and returns the observation as a new array (convenient; allocates).
    public func step(_ action: Int) throws -> (observation: [Float], result: StepResult) {
        var observation = [Float](repeating: 0, count: observationSpace.count)
        let result = try observation.withUnsafeMutableBufferPointer { try step(action, into: $0) }
        return (observation, result)
    }
}

/// What one step returned, besides the observation.
///
/// A training episode (what `terminated` and `truncated` end) can be shorter than a game: Atari
/// agents learn as if a lost life ended the episode while the game goes on. `score` and `gameOver`
/// describe the game itself, which is what evaluations and logs report.
public struct StepResult: Sendable, Hashable {
    /// The reward to learn from (clipped, for Atari).
    public var reward: Double
    /// The episode reached a terminal state of the task (no bootstrapping past it).
    public var terminated: Bool
    /// The episode was cut short from outside (a time limit): the state is not terminal.
    public var truncated: Bool
    /// The game's own reward for this step (unclipped).
    public var score: Double
    /// The whole game is over (not just a life).
    public var gameOver: Bool

    /// `score` defaults to `reward`, and `gameOver` to the episode being over (one game per episode).
    public init(reward: Double, terminated: Bool, truncated: Bool, score: Double? = nil, gameOver: Bool? = nil) {
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
        self.score = score ?? reward
        self.gameOver = gameOver ?? (terminated || truncated)
    }

    /// The episode is over, either way.
    @inlinable public var isDone: Bool { terminated || truncated }
}

/// A box of Float observations (Gymnasium's `Box`): shape and per-element bounds.
public struct BoxSpace: Sendable, Hashable {
    /// Dimensions of one observation, outermost first; images are [height, width, channels].
    public let shape: [Int]
    /// Lower bound of each element, row-major (`-infinity` where unbounded).
    public let low: [Float]
    /// Upper bound of each element, row-major (`infinity` where unbounded).
    public let high: [Float]

    /// Bounds given per element: `low` and `high` each hold one value per element of `shape`.
    public init(shape: [Int], low: [Float], high: [Float]) {
        precondition(low.count == shape.reduce(1, *) && high.count == low.count, "bounds do not match the shape")
        self.shape = shape
        self.low = low
        self.high = high
    }

    /// The same bounds for every element.
    public init(shape: [Int], low: Float, high: Float) {
        let count = shape.reduce(1, *)
        self.init(shape: shape, low: [Float](repeating: low, count: count), high: [Float](repeating: high, count: count))
    }

    /// Number of Floats in one observation.
    public var count: Int { shape.reduce(1, *) }
}
