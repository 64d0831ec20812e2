import Environments
import Testing

@Suite("Environment families")
struct EnvironmentFamilyTests {
    /// Each id, the family that claims it, its observations and whether its actions are known to be
    /// continuous from the id alone.
    static let cases: [(String, EnvironmentFamily, EnvironmentFamily.Observations, Bool)] = [
        ("CartPole-v1", .native, .vectors, false),
        ("StatelessCartPole-v1", .native, .vectors, false),
        ("Pendulum-v1", .native, .vectors, true),
        ("MountainCarContinuous-v0", .native, .vectors, true),
        ("gym:CartPole-v1", .gymnasium, .unknown, false),
        // Bridged Pendulum is not known to be continuous from its id: it trains from the discrete defaults.
        ("gym:Pendulum-v1", .gymnasium, .unknown, false),
        ("gym:MountainCarContinuous-v0", .continuousGymnasium, .vectors, true),
        ("ALE/Pong-v5", .atari, .pictures, false),
        ("ALE/Kangaroo-v5", .atari, .pictures, false),
        // Gymnasium's own Atari, without our preprocessing.
        ("gym:ALE/Pong-v5", .gymnasium, .unknown, false),
        ("VizdoomDefendCenter-v1", .vizdoom, .pictures, false),
        ("gym:VizdoomBasic-v1", .vizdoom, .pictures, false),
        ("HalfCheetah-v5", .mujoco, .vectors, true),
        ("gym:Hopper-v5", .mujoco, .vectors, true),
        ("Ant-v5", .mujoco, .vectors, true),
        ("Antlike-v0", .gymnasium, .unknown, false),
        ("LunarLanderContinuous-v3", .continuousGymnasium, .vectors, true),
        ("BipedalWalker-v3", .continuousGymnasium, .vectors, true),
        ("LunarLander-v3", .gymnasium, .unknown, false),
        ("corridor_env:Corridor-v0", .gymnasium, .unknown, false),
    ]

    @Test(arguments: cases.indices)
    func everyIdHasOneFamily(index: Int) {
        let (id, family, observations, continuous) = Self.cases[index]
        let claimed = EnvironmentFamily.of(id)
        #expect(claimed == family, "\(id): \(claimed.name), not \(family.name)")
        #expect(claimed.observations == observations, "\(id)")
        #expect(claimed.hasContinuousActions(id) == continuous, "\(id)")
        // Families are asked in order, and the bridge's catch-all comes last.
        let claimants = EnvironmentFamily.all.filter { $0.claims(id) }
        #expect(claimants.first == family && claimants.last == .gymnasium, "\(id): \(claimants.map(\.name))")
    }

    @Test func nativeIdsAreMadeNatively() throws {
        for spec in EnvironmentRegistry.native {
            let made = try EnvironmentRegistry.spec(spec.id)
            #expect(made.summary == spec.summary && made.maxEpisodeSteps == spec.maxEpisodeSteps, "\(spec.id)")
        }
        // The bridge's specs are made without starting a host: only make() starts one.
        #expect(try EnvironmentRegistry.spec("ALE/Pong-v5").summary.contains("ale-py"))
        #expect(try EnvironmentRegistry.spec("gym:CartPole-v1").summary == "through the Gymnasium bridge")
    }
}
