/// A kind of environment id: how its ids look, what is known of its observations and actions
/// before one is made, and how one is made (which host steps it). `EnvironmentRegistry.spec` asks
/// `EnvironmentFamily.all` in order and the first family that claims an id makes it, so a new kind
/// of environment is one more entry, not another prefix check.
public struct EnvironmentFamily: Sendable, Equatable {
    /// What a family's observations are, before an environment is made.
    public enum Observations: Sendable, Equatable {
        /// Screens, resized, grey and stacked (the paper's Atari set-up).
        case pictures
        /// Vectors of numbers.
        case vectors
        /// Only known once the environment runs (any other Gymnasium id).
        case unknown
    }

    /// The family's name, as messages and logs use it ("Atari", "ViZDoom", ...).
    public let name: String
    /// What its observations are.
    public let observations: Observations
    private let claimsID: @Sendable (String) -> Bool
    private let actionsAreContinuous: @Sendable (String) -> Bool
    private let makeSpec: @Sendable (_ id: String, _ options: EnvironmentOptions) throws -> EnvironmentSpec

    /// A family from its id test, what its actions are for an id it claims, and its spec factory.
    public init(
        name: String, observations: Observations, claims: @escaping @Sendable (String) -> Bool,
        continuousActions: @escaping @Sendable (String) -> Bool,
        spec: @escaping @Sendable (_ id: String, _ options: EnvironmentOptions) throws -> EnvironmentSpec
    ) {
        self.name = name
        self.observations = observations
        self.claimsID = claims
        self.actionsAreContinuous = continuousActions
        self.makeSpec = spec
    }

    /// Families are told apart by name.
    public static func == (a: EnvironmentFamily, b: EnvironmentFamily) -> Bool { a.name == b.name }

    /// Whether `id` is one of this family's.
    public func claims(_ id: String) -> Bool { claimsID(id) }

    /// Whether `id`'s actions are known, from the id alone, to be continuous. A bridged id that is
    /// not known to be may still have a box of actions: it trains from the discrete defaults.
    public func hasContinuousActions(_ id: String) -> Bool { actionsAreContinuous(id) }

    /// How to make `id` with `options`.
    public func spec(_ id: String, options: EnvironmentOptions) throws -> EnvironmentSpec { try makeSpec(id, options) }

    /// The family that claims `id`: the last entry, the Gymnasium bridge, claims every id.
    public static func of(_ id: String) -> EnvironmentFamily { all.first { $0.claims(id) }! }

    /// The known families, in the order they are asked.
    public static let all: [EnvironmentFamily] = [
        EnvironmentFamily.native, .atari, .vizdoom, .mujoco, .continuousGymnasium, .gymnasium,
    ]

    /// The native Swift environments (`EnvironmentRegistry.native`).
    public static let native = EnvironmentFamily(
        name: "native", observations: .vectors,
        claims: { id in EnvironmentRegistry.native.contains(where: { $0.id == id }) },
        continuousActions: { id in
            guard let spec = EnvironmentRegistry.native.first(where: { $0.id == id }), let made = try? spec.make() else { return false }
            return made.actionSpace.isContinuous
        },
        spec: { id, _ in EnvironmentRegistry.native.first(where: { $0.id == id })! })

    /// `ALE/<Game>-v5`: Atari through ale-py, with the paper's preprocessing, one host per worker.
    public static let atari = EnvironmentFamily(
        name: "Atari", observations: .pictures, claims: { $0.hasPrefix("ALE/") }, continuousActions: { _ in false },
        spec: { id, options in
            EnvironmentSpec(
                id: id, maxEpisodeSteps: nil, rewardThreshold: nil,
                summary: "Atari through Gymnasium and ale-py, the paper's preprocessing",
                factory: { try EnvironmentFamily.bridged(id) { try AtariEnvironment(id: id, options: options.atari) } },
                vectorFactory: { count in
                    try EnvironmentFamily.bridged(id) { try GymnasiumVectorEnvironment(atari: id, options: options.atari, count: count) }
                })
        })

    /// ViZDoom's Gymnasium ids (`Vizdoom*`, or `gym:Vizdoom*`): the screen as grey stacked frames,
    /// the frame skip given to the scenario.
    public static let vizdoom = EnvironmentFamily(
        name: "ViZDoom", observations: .pictures, claims: { EnvironmentFamily.gymnasiumName($0).hasPrefix("Vizdoom") },
        continuousActions: { _ in false },
        spec: { id, options in EnvironmentFamily.gymnasiumSpec(id, options: options, makeArguments: ["frame_skip": options.doomFrameSkip]) })

    /// Gymnasium's MuJoCo tasks (HalfCheetah, Hopper, Walker2d, Ant, Humanoid, ...).
    public static let mujoco = EnvironmentFamily(
        name: "MuJoCo", observations: .vectors,
        claims: { id in
            let name = EnvironmentFamily.gymnasiumName(id)
            return [
                "HalfCheetah", "Hopper", "Walker2d", "Ant-", "Humanoid", "InvertedPendulum", "InvertedDoublePendulum",
                "Reacher", "Swimmer", "Pusher",
            ].contains { name.hasPrefix($0) }
        },
        continuousActions: { _ in true }, spec: { id, options in EnvironmentFamily.gymnasiumSpec(id, options: options) })

    /// Other Gymnasium ids known to have continuous actions: `*Continuous*` ones and Box2D's
    /// BipedalWalker.
    public static let continuousGymnasium = EnvironmentFamily(
        name: "continuous control", observations: .vectors,
        claims: { id in
            let name = EnvironmentFamily.gymnasiumName(id)
            return name.contains("Continuous") || name.hasPrefix("BipedalWalker")
        },
        continuousActions: { _ in true }, spec: { id, options in EnvironmentFamily.gymnasiumSpec(id, options: options) })

    /// Every other Gymnasium id, through the bridge (`gym:<id>` forces it for an id that is also native).
    public static let gymnasium = EnvironmentFamily(
        name: "Gymnasium", observations: .unknown, claims: { _ in true }, continuousActions: { _ in false },
        spec: { id, options in EnvironmentFamily.gymnasiumSpec(id, options: options) })

    /// `id` without the `gym:` that forces the bridge.
    public static func gymnasiumName(_ id: String) -> String { id.hasPrefix("gym:") ? String(id.dropFirst(4)) : id }

    /// A bridged id's spec: its screen, when it has one, as grey stacked frames with rewards
    /// clipped as Atari's are; vector observations are never clipped.
    static func gymnasiumSpec(_ id: String, options: EnvironmentOptions, makeArguments: [String: Int] = [:]) -> EnvironmentSpec {
        let gymnasiumID = gymnasiumName(id)
        let frames = GymnasiumEnvironment.FrameOptions(
            height: options.frameHeight, width: options.frameWidth, stack: options.atari.frameStack, crop: options.crop,
            clipRewards: options.atari.clipRewards, subtractBackground: options.atari.subtractBackground)
        return EnvironmentSpec(
            id: id, maxEpisodeSteps: nil, rewardThreshold: nil, summary: "through the Gymnasium bridge",
            factory: {
                try EnvironmentFamily.bridged(id) { try GymnasiumEnvironment(id: gymnasiumID, makeArguments: makeArguments, frames: frames) }
            },
            vectorFactory: { count in
                try EnvironmentFamily.bridged(id) {
                    try GymnasiumVectorEnvironment(id: gymnasiumID, makeArguments: makeArguments, frames: frames, count: count)
                }
            })
    }

    /// Gymnasium's "no such id" from the host, as our unknown-id error.
    static func bridged<T>(_ id: String, _ make: () throws -> T) throws -> T {
        do {
            return try make()
        } catch let error as BridgeError
            where ["NameNotFound", "VersionNotFound", "NamespaceNotFound", "doesn't exist"].contains(where: error.description.contains)
        {
            throw UnknownEnvironmentError(
                id: id, known: EnvironmentRegistry.all.map(\.id), detail: "Gymnasium does not know it either")
        }
    }
}
