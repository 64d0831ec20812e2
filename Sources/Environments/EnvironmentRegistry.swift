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
    /// Builds `count` environments stepped together (a vectorised host, say); nil steps `count`
    /// separate instances one after the other.
    public let vectorFactory: (@Sendable (_ count: Int) throws -> any VectorEnvironment)?

    /// A spec from its registry facts and factories; without `vectorFactory`, vectors step separate instances.
    public init(
        id: String, maxEpisodeSteps: Int?, rewardThreshold: Double?, summary: String,
        factory: @escaping @Sendable () throws -> any Environment,
        vectorFactory: (@Sendable (_ count: Int) throws -> any VectorEnvironment)? = nil
    ) {
        self.id = id
        self.maxEpisodeSteps = maxEpisodeSteps
        self.rewardThreshold = rewardThreshold
        self.summary = summary
        self.factory = factory
        self.vectorFactory = vectorFactory
    }

    /// A new instance, wrapped in `TimeLimit` when the spec has one, as `gymnasium.make` does.
    public func make() throws -> any Environment {
        let environment = try factory()
        guard let maxEpisodeSteps else { return environment }
        return TimeLimit(environment, maxEpisodeSteps: maxEpisodeSteps)
    }

    /// `count` new instances stepped together, time limits included.
    public func makeVector(count: Int) throws -> any VectorEnvironment {
        if let vectorFactory { return try vectorFactory(count) }
        var environments: [any Environment] = []
        do {
            for _ in 0..<count { environments.append(try make()) }
            return try SerialVectorEnvironment(environments)
        } catch {
            environments.forEach { $0.close() }
            throw error
        }
    }
}

/// An environment id that nothing provides.
public struct UnknownEnvironmentError: Error, CustomStringConvertible, Sendable {
    /// The id that was asked for.
    public let id: String
    /// The native ids, listed in the message.
    public let known: [String]
    /// Why the id is unknown, when more is known ("Gymnasium does not know it either").
    public var detail: String?

    /// An error for `id` that lists the `known` ids, with an optional detail.
    public init(id: String, known: [String], detail: String? = nil) {
        self.id = id
        self.known = known
        self.detail = detail
    }

    /// Names the id and lists the native environments and the Gymnasium ids the bridge also takes.
    public var description: String {
        "unknown environment '\(id)'\(detail.map { " (\($0))" } ?? ""); native environments: \(known.joined(separator: ", ")); "
            + "and every Gymnasium id, such as ALE/Pong-v5 or VizdoomDefendCenter-v1 (see `a3c envs`)"
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
            id: "StatelessCartPole-v1", maxEpisodeSteps: 500, rewardThreshold: 475,
            summary: "CartPole-v1 with the velocities hidden (x and θ only): needs memory; 2 actions, 2 observations (native Swift)",
            factory: { StatelessCartPole() }),
        EnvironmentSpec(
            id: "MountainCar-v0", maxEpisodeSteps: 200, rewardThreshold: -110,
            summary: "drive an underpowered car up a hill; 3 actions, 2 observations (native Swift)",
            factory: { MountainCar() }),
        EnvironmentSpec(
            id: "Pendulum-v1", maxEpisodeSteps: 200, rewardThreshold: nil,
            summary: "swing a pendulum up and hold it; continuous torque in [-2, 2], 3 observations (native Swift)",
            factory: { Pendulum() }),
        EnvironmentSpec(
            id: "MountainCarContinuous-v0", maxEpisodeSteps: 999, rewardThreshold: 90,
            summary: "MountainCar with a continuous force in [-1, 1]; 2 observations (native Swift)",
            factory: { MountainCarContinuous() }),
    ]

    /// Every native spec.
    public static var all: [EnvironmentSpec] { native }

    /// The spec for `id`: a native environment, or one the Gymnasium bridge hosts, made by the
    /// family that claims it (`EnvironmentFamily.all`): `ALE/<Game>-v5` with the paper's Atari
    /// preprocessing, `Vizdoom*` ids with their screen as grey stacked frames, and any other
    /// Gymnasium id (`gym:<id>` forces the bridge for an id that is also native).
    public static func spec(_ id: String, options: EnvironmentOptions = EnvironmentOptions()) throws -> EnvironmentSpec {
        if let spec = all.first(where: { $0.id == id }) { return spec }
        guard !id.isEmpty, !id.contains(" ") else { throw UnknownEnvironmentError(id: id, known: all.map(\.id)) }
        return try EnvironmentFamily.of(id).spec(id, options: options)
    }

    /// A new environment for `id`, time limit included.
    public static func make(_ id: String, options: EnvironmentOptions = EnvironmentOptions()) throws -> any Environment {
        try spec(id, options: options).make()
    }
}
