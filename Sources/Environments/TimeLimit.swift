/// Truncates episodes after `maxEpisodeSteps` steps, like Gymnasium's `TimeLimit` wrapper
/// (which `gymnasium.make` adds from the registry's `max_episode_steps`).
public final class TimeLimit: Environment {
    public let wrapped: any Environment
    public let maxEpisodeSteps: Int
    /// Steps taken in the current episode.
    public private(set) var elapsedSteps = 0

    public init(_ wrapped: any Environment, maxEpisodeSteps: Int) {
        precondition(maxEpisodeSteps > 0, "maxEpisodeSteps must be positive")
        self.wrapped = wrapped
        self.maxEpisodeSteps = maxEpisodeSteps
    }

    public var id: String { wrapped.id }
    public var observationSpace: BoxSpace { wrapped.observationSpace }
    public var actionCount: Int { wrapped.actionCount }

    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) throws {
        elapsedSteps = 0
        try wrapped.reset(seed: seed, into: observation)
    }

    public func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        var result = try wrapped.step(action, into: observation)
        elapsedSteps += 1
        if elapsedSteps >= maxEpisodeSteps {
            result.truncated = true
            result.gameOver = true
        }
        return result
    }

    public func close() { wrapped.close() }
    public func render() -> RGBFrame? { wrapped.render() }
}
