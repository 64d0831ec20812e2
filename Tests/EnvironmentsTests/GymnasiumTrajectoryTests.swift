import Environments
import Foundation
import Testing

/// Replays trajectories recorded from Gymnasium 1.4 itself (scripts/make_gymnasium_fixtures.py):
/// same start state, same actions; observations, internal states, rewards, terminated and truncated
/// must match.
@Suite("Native environments against Gymnasium's own trajectories")
struct GymnasiumTrajectoryTests {
    struct Fixture: Decodable {
        let gymnasium_version: String
        let episodes: [Episode]
    }

    struct Episode: Decodable {
        let env: String
        let seed: Int
        let initial_state: [Double]
        let initial_observation: [Double]
        let steps: [Step]
    }

    struct Step: Decodable {
        let action: Int
        let observation: [Double]
        let state: [Double]
        let reward: Double
        let terminated: Bool
        let truncated: Bool
    }

    static let fixture: Fixture = {
        let url = Bundle.module.url(forResource: "classic_control", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    static var episodeNames: [String] { fixture.episodes.map { "\($0.env) seed \($0.seed)" } }

    @Test func fixtureComesFromGymnasium14() {
        #expect(Self.fixture.gymnasium_version.hasPrefix("1.4"))
        let ids = Set(Self.fixture.episodes.map(\.env))
        #expect(ids == ["CartPole-v1", "Acrobot-v1", "MountainCar-v0"])
        // Both ways an episode ends are covered for every environment.
        for id in ids {
            let episodes = Self.fixture.episodes.filter { $0.env == id }
            #expect(episodes.contains { $0.steps.last!.terminated }, "\(id) has a terminated episode")
            #expect(episodes.contains { $0.steps.last!.truncated }, "\(id) has a truncated episode")
        }
    }

    @Test(arguments: episodeNames)
    func replay(name: String) throws {
        let episode = Self.fixture.episodes.first { "\($0.env) seed \($0.seed)" == name }!
        let environment = try EnvironmentRegistry.make(episode.env)
        _ = try environment.reset(seed: 0)
        setState(of: environment, to: episode.initial_state)
        for (t, step) in episode.steps.enumerated() {
            let (observation, result) = try environment.step(step.action)
            expectClose(observation.map(Double.init), step.observation, "\(name) step \(t) observation")
            expectClose(state(of: environment), step.state, "\(name) step \(t) state")
            #expect(result.reward == step.reward, "\(name) step \(t) reward")
            #expect(result.terminated == step.terminated, "\(name) step \(t) terminated")
            #expect(result.truncated == step.truncated, "\(name) step \(t) truncated")
        }
    }

    private func expectClose(_ got: [Double], _ expected: [Double], _ what: String) {
        #expect(got.count == expected.count, "\(what): sizes")
        for (a, b) in zip(got, expected) {
            #expect(abs(a - b) <= 1e-5 * max(1, abs(b)), "\(what): \(got) vs \(expected)")
        }
    }

    private func unwrapped(_ environment: any Environment) -> any Environment {
        (environment as? TimeLimit)?.wrapped ?? environment
    }

    private func setState(of environment: any Environment, to state: [Double]) {
        switch unwrapped(environment) {
        case let env as CartPole: env.state = state
        case let env as Acrobot: env.state = state
        case let env as MountainCar: env.state = state
        default: Issue.record("unexpected environment \(environment.id)")
        }
    }

    private func state(of environment: any Environment) -> [Double] {
        switch unwrapped(environment) {
        case let env as CartPole: return env.state
        case let env as Acrobot: return env.state
        case let env as MountainCar: return env.state
        default: return []
        }
    }
}
