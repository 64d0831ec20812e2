/// Truncates episodes after `maxEpisodeSteps` steps, like Gymnasium's `TimeLimit` wrapper
/// (which `gymnasium.make` adds from the registry's `max_episode_steps`).
public final class TimeLimit: Environment {
    /// The environment whose episodes are cut short.
    public let wrapped: any Environment
    /// Steps after which an episode is truncated.
    public let maxEpisodeSteps: Int
    /// Steps taken in the current episode.
    public private(set) var elapsedSteps = 0

    /// Wraps `wrapped`, truncating its episodes after `maxEpisodeSteps` (positive) steps.
    public init(_ wrapped: any Environment, maxEpisodeSteps: Int) {
        precondition(maxEpisodeSteps > 0, "maxEpisodeSteps must be positive")
        self.wrapped = wrapped
        self.maxEpisodeSteps = maxEpisodeSteps
    }

    /// The wrapped environment's id.
    public var id: String { wrapped.id }
    /// The wrapped environment's observation space.
    public var observationSpace: BoxSpace { wrapped.observationSpace }
    /// The wrapped environment's action count.
    public var actionCount: Int { wrapped.actionCount }
    /// The wrapped environment's action space.
    public var actionSpace: ActionSpace { wrapped.actionSpace }

    /// Resets the step count and the wrapped environment.
    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) throws {
        elapsedSteps = 0
        try wrapped.reset(seed: seed, into: observation)
    }

    /// Steps the wrapped environment and, at the limit, marks the result truncated and the game over.
    public func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        counted(try wrapped.step(action, into: observation))
    }

    /// Steps the wrapped environment with a continuous action, truncating at the limit.
    public func step(continuous action: UnsafePointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        counted(try wrapped.step(continuous: action, into: observation))
    }

    private func counted(_ stepResult: StepResult) -> StepResult {
        var result = stepResult
        elapsedSteps += 1
        if elapsedSteps >= maxEpisodeSteps {
            result.truncated = true
            result.gameOver = true
        }
        return result
    }

    /// Closes the wrapped environment.
    public func close() { wrapped.close() }
    /// The wrapped environment's picture.
    public func render() -> RGBFrame? { wrapped.render() }
}
