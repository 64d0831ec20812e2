import Foundation
import Environments
import Testing

@Suite("Registry, seeding, reset distributions, time limits")
struct EnvironmentBehaviourTests {
    @Test func unknownIdListsTheKnownOnes() throws {
        do {
            _ = try EnvironmentRegistry.make("CartPole-v9")
            Issue.record("expected an error")
        } catch {
            let message = "\(error)"
            #expect(message.contains("CartPole-v9"))
            for id in ["CartPole-v1", "Acrobot-v1", "MountainCar-v0"] { #expect(message.contains(id)) }
            #expect(!message.contains("\n"))
        }
    }

    @Test func registryCarriesGymnasiumsLimitsAndThresholds() throws {
        let cartPole = try EnvironmentRegistry.spec("CartPole-v1")
        #expect(cartPole.maxEpisodeSteps == 500 && cartPole.rewardThreshold == 475)
        let acrobot = try EnvironmentRegistry.spec("Acrobot-v1")
        #expect(acrobot.maxEpisodeSteps == 500 && acrobot.rewardThreshold == -100)
        let mountainCar = try EnvironmentRegistry.spec("MountainCar-v0")
        #expect(mountainCar.maxEpisodeSteps == 200 && mountainCar.rewardThreshold == -110)
    }

    @Test func continuousTasksHaveGymnasiumsLimitsAndBoxActions() throws {
        let pendulum = try EnvironmentRegistry.spec("Pendulum-v1")
        #expect(pendulum.maxEpisodeSteps == 200 && pendulum.rewardThreshold == nil)
        #expect(try pendulum.make().actionSpace == .box(low: [-2], high: [2]))
        let car = try EnvironmentRegistry.spec("MountainCarContinuous-v0")
        #expect(car.maxEpisodeSteps == 999 && car.rewardThreshold == 90)
        #expect(try car.make().actionSpace == .box(low: [-1], high: [1]))
    }

    @Test(arguments: ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "Pendulum-v1", "MountainCarContinuous-v0"])
    func sameSeedSameEpisode(id: String) throws {
        func rollout(_ seed: UInt64) throws -> [[Float]] {
            let env = try EnvironmentRegistry.make(id)
            var observations = [try env.reset(seed: seed)]
            for t in 0..<50 {
                let (observation, result) = try anyStep(env, t)
                observations.append(observation)
                if result.isDone { break }
            }
            return observations
        }
        #expect(try rollout(42) == rollout(42))
        #expect(try rollout(42) != rollout(43))
    }

    @Test func resetDistributionsMatchGymnasiums() throws {
        let cartPole = CartPole(), acrobot = Acrobot(), mountainCar = MountainCar()
        var cartPoleExtremes: (Double, Double) = (1, -1)
        for seed in 0..<2000 as Range<UInt64> {
            _ = try cartPole.reset(seed: seed)
            for value in cartPole.state {
                #expect(value >= -0.05 && value < 0.05)
                cartPoleExtremes = (min(cartPoleExtremes.0, value), max(cartPoleExtremes.1, value))
            }
            _ = try acrobot.reset(seed: seed)
            for value in acrobot.state {
                #expect(value >= -0.1 && value <= 0.1)
                #expect(Double(Float(value)) == value, "Gymnasium draws Acrobot's start state in float32")
            }
            _ = try mountainCar.reset(seed: seed)
            #expect(mountainCar.state[0] >= -0.6 && mountainCar.state[0] < -0.4 && mountainCar.state[1] == 0)
        }
        // Uniform over the whole interval, not a corner of it.
        #expect(cartPoleExtremes.0 < -0.049 && cartPoleExtremes.1 > 0.049)
    }

    @Test func timeLimitTruncatesAndResets() throws {
        let env = try EnvironmentRegistry.make("MountainCar-v0")
        _ = try env.reset(seed: 1)
        var steps = 0
        var last = StepResult(reward: 0, terminated: false, truncated: false)
        while !last.isDone {
            last = try env.step(1).result  // doing nothing never reaches the goal
            steps += 1
        }
        #expect(steps == 200 && last.truncated && !last.terminated)
        _ = try env.reset(seed: nil)
        #expect(try !env.step(1).result.truncated)
    }

    /// The stateless cart-pole is CartPole with x and θ shown: same seed and actions, same
    /// positions, rewards and episode ends, and no velocities.
    @Test func statelessCartPoleIsCartPoleWithoutItsVelocities() throws {
        let full = try EnvironmentRegistry.make("CartPole-v1"), stateless = try EnvironmentRegistry.make("StatelessCartPole-v1")
        #expect(stateless.observationSpace.shape == [2])
        var a = try full.reset(seed: 11), b = try stateless.reset(seed: 11)
        var episodes = 0
        for t in 0..<2_000 {
            #expect(b == [a[0], a[2]], "step \(t)")
            let action = (t * 7 + t / 3) % 2
            let (nextA, resultA) = try full.step(action), (nextB, resultB) = try stateless.step(action)
            #expect(resultA.reward == resultB.reward && resultA.terminated == resultB.terminated && resultA.truncated == resultB.truncated)
            (a, b) = (nextA, nextB)
            if resultA.isDone {
                episodes += 1
                (a, b) = (try full.reset(seed: nil), try stateless.reset(seed: nil))
            }
        }
        #expect(episodes > 20)
    }

    @Test func observationsFitTheirSpaces() throws {
        for spec in EnvironmentRegistry.native {
            let env = try spec.make()
            let space = env.observationSpace
            var observation = try env.reset(seed: 3)
            for t in 0..<300 {
                #expect(observation.count == space.count)
                for i in 0..<space.count { #expect(observation[i] >= space.low[i] && observation[i] <= space.high[i]) }
                let step = try anyStep(env, t)
                observation = step.observation
                if step.result.isDone { observation = try env.reset(seed: nil) }
            }
        }
    }
}

@Suite("Rendering")
struct RenderingTests {
    @Test(arguments: [("CartPole-v1", 600, 400), ("Acrobot-v1", 500, 500), ("MountainCar-v0", 600, 400)])
    func framesHaveGymnasiumsSizeAndShowSomething(id: String, width: Int, height: Int) throws {
        let env = try EnvironmentRegistry.make(id)
        _ = try env.reset(seed: 5)
        var frames = 0
        for t in 0..<200 {
            let frame = try #require(env.render())
            #expect(frame.width == width && frame.height == height)
            let background = frame.pixels.filter { $0 == 255 }.count
            #expect(background < frame.pixels.count, "frame \(t) is blank")
            frames += 1
            if try env.step(t % env.actionCount).result.isDone { _ = try env.reset(seed: nil) }
        }
        #expect(frames == 200)
    }

    @Test func statesOffTheScreenDoNotBreakDrawing() throws {
        let cartPole = CartPole()
        for state in [[10.0, 0, 3, 0], [-50, 0, -2, 0], [2.5, 0, 0.3, 0], [0, 0, .pi, 0]] {
            cartPole.state = state
            #expect(cartPole.render() != nil)
        }
        let mountainCar = MountainCar()
        for position in [-1.2, 0.6, -5, 5] {
            mountainCar.state = [position, 0]
            #expect(mountainCar.render() != nil)
        }
    }
}

/// Step `t` of a fixed sequence of actions: indices in turn, or a swinging continuous action that
/// goes beyond the bounds now and then.
func anyStep(_ env: any Environment, _ t: Int) throws -> (observation: [Float], result: StepResult) {
    guard case .box(_, let high) = env.actionSpace else { return try env.step(t % env.actionCount) }
    var observation = [Float](repeating: 0, count: env.observationSpace.count)
    let action = high.map { $0 * 1.3 * Float(sin(Double(t) * 0.3)) }
    let result = try observation.withUnsafeMutableBufferPointer { try env.step(continuous: action, into: $0) }
    return (observation, result)
}
