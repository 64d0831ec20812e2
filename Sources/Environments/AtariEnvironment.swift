/// An Atari game through the Gymnasium bridge (ale-py's `ALE/<Game>-v5`) with the paper's
/// preprocessing, one game with explicit resets: a `GymnasiumVectorEnvironment` of one (see there
/// for the preprocessing). A lost life ends the training episode; `reset(seed: nil)` then continues
/// the game, and after game over starts a new one. `score` and `gameOver` follow the real game.
public final class AtariEnvironment: Environment {
    /// The ale-py id, `ALE/<Game>-v5`.
    public let id: String
    /// The preprocessing this game runs with.
    public let options: AtariOptions
    /// [frameSize, frameSize, frameStack] grey frames scaled to [0, 1].
    public let observationSpace: BoxSpace
    /// Number of actions in the game's action set.
    public let actionCount: Int
    /// ale-py's name for each action ("NOOP", "FIRE", ...), by index.
    public let actionMeanings: [String]
    private let vector: GymnasiumVectorEnvironment

    /// `makeArguments` go to `gymnasium.make` (e.g. `max_num_frames_per_episode`).
    public init(id: String, options: AtariOptions = AtariOptions(), makeArguments: [String: Any] = [:]) throws {
        self.id = id
        self.options = options
        vector = try GymnasiumVectorEnvironment(atari: id, options: options, count: 1, makeArguments: makeArguments)
        observationSpace = vector.observationSpace
        actionCount = vector.actionCount
        actionMeanings = vector.actionMeanings
    }

    /// The host's process id (tests kill it to check that a dead host is an error, not a hang).
    public var hostProcessIdentifier: Int32 { vector.hostProcessIdentifier }

    /// What steps the game ("native ALE 0.12.1", "Python (Gymnasium)").
    public var hostDescription: String? { vector.hostDescription }

    /// Emulator frames since the game started (no-op starts and FIRE included).
    public var episodeFrameNumber: Int { vector.episodeFrameNumber(0) }

    /// With a seed, starts a new game; with nil, continues after a lost life or starts the next game.
    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) throws {
        try vector.resetFirst(seed: seed, into: observation.baseAddress!)
    }

    /// Plays one agent step (frame skip included) and delivers the stacked frames; `score` is the real score.
    public func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        try vector.stepFirst(action, into: observation.baseAddress!)
    }

    /// The game's colour screen at native resolution.
    public func render() -> RGBFrame? { vector.render(0) }

    /// Stops the host process.
    public func close() { vector.close() }
}
