/// How to make one registered environment, with Gymnasium's registry facts about it.
public struct EnvironmentSpec: Sendable {
    /// The Gymnasium id, e.g. "CartPole-v1".
    public let id: String
    /// Episodes are truncated after this many steps (Gymnasium's `max_episode_steps`).
    public let maxEpisodeSteps: Int?
    /// The mean return that counts as solved (Gymnasium's `reward_threshold`).
    public let rewardThreshold: Double?
    /// One line for `a3c envs`.
    public let summary: String
    /// Builds an unwrapped instance; `EnvironmentRegistry.make` adds the time limit.
    public let factory: @Sendable () throws -> any Environment

    public init(
        id: String, maxEpisodeSteps: Int?, rewardThreshold: Double?, summary: String,
        factory: @escaping @Sendable () throws -> any Environment
    ) {
        self.id = id
        self.maxEpisodeSteps = maxEpisodeSteps
        self.rewardThreshold = rewardThreshold
        self.summary = summary
        self.factory = factory
    }

    /// A new instance, wrapped in `TimeLimit` when the spec has one, as `gymnasium.make` does.
    public func make() throws -> any Environment {
        let environment = try factory()
        guard let maxEpisodeSteps else { return environment }
        return TimeLimit(environment, maxEpisodeSteps: maxEpisodeSteps)
    }
}

/// An environment id that nothing provides.
public struct UnknownEnvironmentError: Error, CustomStringConvertible, Sendable {
    public let id: String
    public let known: [String]

    public var description: String {
        "unknown environment '\(id)'; known environments: \(known.joined(separator: ", "))"
    }
}

/// The environments this package knows by Gymnasium id.
public enum EnvironmentRegistry {
    /// The native Swift environments, with Gymnasium 1.4's registry values.
    public static let native: [EnvironmentSpec] = [
        EnvironmentSpec(
            id: "CartPole-v1", maxEpisodeSteps: 500, rewardThreshold: 475,
            summary: "balance a pole on a cart; 2 actions, 4 observations (native Swift)",
            factory: { CartPole() }),
        EnvironmentSpec(
            id: "Acrobot-v1", maxEpisodeSteps: 500, rewardThreshold: -100,
            summary: "swing a two-link arm up; 3 actions, 6 observations (native Swift)",
            factory: { Acrobot() }),
        EnvironmentSpec(
            id: "MountainCar-v0", maxEpisodeSteps: 200, rewardThreshold: -110,
            summary: "drive an underpowered car up a hill; 3 actions, 2 observations (native Swift)",
            factory: { MountainCar() }),
    ]

    /// Every known spec.
    public static var all: [EnvironmentSpec] { native }

    /// The spec registered under `id`.
    public static func spec(_ id: String) throws(UnknownEnvironmentError) -> EnvironmentSpec {
        guard let spec = all.first(where: { $0.id == id }) else {
            throw UnknownEnvironmentError(id: id, known: all.map(\.id))
        }
        return spec
    }

    /// A new environment for `id`, time limit included.
    public static func make(_ id: String) throws -> any Environment {
        try spec(id).make()
    }
}
