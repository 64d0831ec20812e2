/// Several environments of one kind stepped together, as Gymnasium's vector environments are: one
/// call steps them all, and an environment whose episode ends is reset at once (same-step
/// autoreset), so every call returns one fresh observation per environment.
///
/// Observations are rows of `observationSpace.count` Floats, environment `i` in row `i`, written
/// into caller-owned memory (a network's input rows), so stepping allocates nothing.
/// Not thread-safe: one worker owns it.
public protocol VectorEnvironment: AnyObject {
    /// Number of environments.
    var count: Int { get }
    /// What one environment's observations look like.
    var observationSpace: BoxSpace { get }
    /// Number of discrete actions (the same for every environment).
    var actionCount: Int { get }

    /// Starts a new episode in every environment, environment `i` seeded with `seeds[i]`, and
    /// writes the first observations into rows `0..<count` of `observations`.
    func reset(seeds: [UInt64], into observations: UnsafeMutablePointer<Float>) throws

    /// Steps environment `i` with `actions[i]`, writes its next observation into row `i` of
    /// `observations` and its result into `results[i]`. Where `results[i].isDone`, the environment
    /// has already been reset: row `i` of `observations` holds the first observation of its next
    /// episode, and row `i` of `finalObservations` the last observation of the episode that ended
    /// (what a truncated episode is bootstrapped from).
    func step(
        _ actions: UnsafePointer<Int32>, into observations: UnsafeMutablePointer<Float>,
        finalObservations: UnsafeMutablePointer<Float>, results: UnsafeMutablePointer<StepResult>
    ) throws

    /// `step` with continuous actions: environment `i` gets the `actionSpace.size` Floats at
    /// `actions + i * actionSpace.size`. Only for box action spaces.
    func step(
        continuous actions: UnsafePointer<Float>, into observations: UnsafeMutablePointer<Float>,
        finalObservations: UnsafeMutablePointer<Float>, results: UnsafeMutablePointer<StepResult>
    ) throws
    /// What each environment's actions are.
    var actionSpace: ActionSpace { get }
    /// Releases what the environments hold (host processes). Stepping afterwards is an error.
    func close()
}

extension VectorEnvironment {
    /// Default: discrete, `actionCount` actions.
    public var actionSpace: ActionSpace { .discrete(count: actionCount) }
    /// Default: no continuous actions (configurations are checked against the action space first).
    public func step(
        continuous actions: UnsafePointer<Float>, into observations: UnsafeMutablePointer<Float>,
        finalObservations: UnsafeMutablePointer<Float>, results: UnsafeMutablePointer<StepResult>
    ) throws {
        preconditionFailure("these environments have discrete actions")
    }
}

/// Any environments stepped one after the other on the calling thread: native classic control
/// (a step costs tens of nanoseconds, so there is nothing to overlap), or one-per-host bridged
/// environments where no vectorised host exists.
public final class SerialVectorEnvironment: VectorEnvironment {
    /// The environments, stepped in this order.
    public let environments: [any Environment]
    /// The observation space every environment shares (the first one's).
    public let observationSpace: BoxSpace
    /// The action count every environment shares.
    public let actionCount: Int
    /// The action space every environment shares.
    public let actionSpace: ActionSpace
    private let width: Int

    /// `environments` must agree on observation space and action count.
    public init(_ environments: [any Environment]) throws(VectorEnvironmentError) {
        guard let first = environments.first else { throw VectorEnvironmentError("a vector needs at least one environment") }
        for environment in environments.dropFirst()
        where environment.observationSpace.shape != first.observationSpace.shape || environment.actionSpace != first.actionSpace {
            throw VectorEnvironmentError("\(environment.id) does not match \(first.id)'s observations and actions")
        }
        self.environments = environments
        observationSpace = first.observationSpace
        actionCount = first.actionCount
        actionSpace = first.actionSpace
        width = first.observationSpace.count
    }

    /// Number of environments.
    public var count: Int { environments.count }

    /// Resets each environment in turn with its own seed, environment `i` into row `i`.
    public func reset(seeds: [UInt64], into observations: UnsafeMutablePointer<Float>) throws {
        precondition(seeds.count == environments.count, "one seed per environment")
        for (i, environment) in environments.enumerated() {
            try environment.reset(seed: seeds[i], into: row(observations, i))
        }
    }

    /// Steps each environment in turn; one whose episode ended keeps its last observation and resets at once.
    public func step(
        _ actions: UnsafePointer<Int32>, into observations: UnsafeMutablePointer<Float>,
        finalObservations: UnsafeMutablePointer<Float>, results: UnsafeMutablePointer<StepResult>
    ) throws {
        try stepEach(into: observations, finalObservations: finalObservations, results: results) { i, environment, observation in
            try environment.step(Int(actions[i]), into: observation)
        }
    }

    /// Steps environment `i` by `step(i, environment, its observation row)`; one whose episode ended
    /// keeps its last observation in `finalObservations` and resets at once.
    private func stepEach(
        into observations: UnsafeMutablePointer<Float>, finalObservations: UnsafeMutablePointer<Float>,
        results: UnsafeMutablePointer<StepResult>,
        _ step: (Int, any Environment, UnsafeMutableBufferPointer<Float>) throws -> StepResult
    ) throws {
        for i in 0..<environments.count {
            let environment = environments[i]
            let observation = row(observations, i)
            let result = try step(i, environment, observation)
            results[i] = result
            if result.isDone {
                row(finalObservations, i).baseAddress!.update(from: observation.baseAddress!, count: width)
                try environment.reset(seed: nil, into: observation)
            }
        }
    }

    /// Steps each environment in turn with its continuous action; as `step` otherwise.
    public func step(
        continuous actions: UnsafePointer<Float>, into observations: UnsafeMutablePointer<Float>,
        finalObservations: UnsafeMutablePointer<Float>, results: UnsafeMutablePointer<StepResult>
    ) throws {
        let dimensions = actionSpace.size
        try stepEach(into: observations, finalObservations: finalObservations, results: results) { i, environment, observation in
            try environment.step(continuous: actions + i * dimensions, into: observation)
        }
    }

    /// Closes every environment.
    public func close() { environments.forEach { $0.close() } }

    @inline(__always)
    private func row(_ base: UnsafeMutablePointer<Float>, _ i: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: base + i * width, count: width)
    }
}

/// Environments that cannot be stepped together.
public struct VectorEnvironmentError: Error, CustomStringConvertible, Sendable {
    /// Which environments do not match, in one line.
    public let description: String
    /// The error with its one-line message.
    public init(_ description: String) { self.description = description }
}
