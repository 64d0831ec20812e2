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

    /// An action index, or the float32 values of a continuous action.
    enum Action: Decodable {
        case index(Int)
        case vector([Double])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let index = try? container.decode(Int.self) { self = .index(index) } else { self = .vector(try container.decode([Double].self)) }
        }
    }

    struct Step: Decodable {
        let action: Action
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
        #expect(ids == ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "Pendulum-v1", "MountainCarContinuous-v0"])
        // Both ways an episode ends are covered for every environment that can end (Pendulum never terminates).
        for id in ids where id != "Pendulum-v1" {
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
            var observation = [Float](repeating: 0, count: environment.observationSpace.count)
            let result = try observation.withUnsafeMutableBufferPointer { buffer in
                switch step.action {
                case .index(let action): return try environment.step(action, into: buffer)
                case .vector(let values): return try environment.step(continuous: values.map(Float.init), into: buffer)
                }
            }
            expectClose(observation.map(Double.init), step.observation, "\(name) step \(t) observation")
            expectClose(state(of: environment), step.state, "\(name) step \(t) state")
            // Exact for the constant rewards; the continuous tasks' costs may differ in the last bits
            // (NumPy's vectorised sin and cos against the C library's).
            #expect(abs(result.reward - step.reward) <= 1e-9 * max(1, abs(step.reward)), "\(name) step \(t) reward: \(result.reward) vs \(step.reward)")
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
        case let env as Pendulum: env.state = state
        case let env as MountainCarContinuous: env.state = state
        default: Issue.record("unexpected environment \(environment.id)")
        }
    }

    private func state(of environment: any Environment) -> [Double] {
        switch unwrapped(environment) {
        case let env as CartPole: return env.state
        case let env as Acrobot: return env.state
        case let env as MountainCar: return env.state
        case let env as Pendulum: return env.state
        case let env as MountainCarContinuous: return env.state
        default: return []
        }
    }
}
