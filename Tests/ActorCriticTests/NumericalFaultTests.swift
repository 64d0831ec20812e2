import ActorCritic
import Environments
import Testing

/// A corridor of 8 cells: action 1 walks right (+1 at the end), action 0 stays. Its reward is NaN
/// on the steps `poisoned` says, counted over the whole run.
final class PoisonedCorridor: Environment {
    let id = "PoisonedCorridor"
    let observationSpace = BoxSpace(shape: [8], low: 0, high: 1)
    let actionCount = 2
    private var position = 0, stepsInEpisode = 0
    private let poisoned: @Sendable (Int) -> Bool
    private let counter: StepCounter

    init(counter: StepCounter, poisoned: @escaping @Sendable (Int) -> Bool) {
        self.counter = counter
        self.poisoned = poisoned
    }

    func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) throws {
        position = 0
        stepsInEpisode = 0
        write(observation)
    }

    func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        if action == 1 { position += 1 }
        stepsInEpisode += 1
        write(observation)
        let reached = position == 7
        let reward: Double = poisoned(counter.next()) ? .nan : (reached ? 1 : 0)
        return StepResult(reward: reward, terminated: reached, truncated: !reached && stepsInEpisode >= 30)
    }

    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<8 { observation[i] = i == position ? 1 : 0 }
    }
}

/// Steps of all corridors together (one worker here, so one thread).
final class StepCounter: @unchecked Sendable {
    private var count = 0
    func next() -> Int {
        count += 1
        return count
    }
}

@Suite("NaN and infinite gradients")
struct NumericalFaultTests {
    func corridor(poisoned: @escaping @Sendable (Int) -> Bool) -> EnvironmentSpec {
        let counter = StepCounter()
        return EnvironmentSpec(
            id: "PoisonedCorridor", maxEpisodeSteps: nil, rewardThreshold: nil, summary: "a test corridor",
            factory: { PoisonedCorridor(counter: counter, poisoned: poisoned) })
    }

    func config(steps: Int) -> TrainingConfig {
        var config = TrainingConfig()
        config.environmentID = "PoisonedCorridor"
        config.workers = 1
        config.seed = 5
        config.totalSteps = steps
        return config
    }

    /// A few poisoned rewards: their updates are dropped and counted, training reaches its budget,
    /// and no parameter ever becomes NaN.
    @Test func aRareNaNRewardSkipsItsUpdateAndTrainingGoesOn() throws {
        let trainer = try Trainer(
            config: config(steps: 20_000), environment: corridor(poisoned: { $0 % 5_000 == 0 }))
        var skipped = 0
        let summary = try trainer.run(monitorInterval: 0.01) { skipped += $0.drainUpdateStatistics().skippedUpdates }
        skipped += trainer.drainUpdateStatistics().skippedUpdates
        #expect(summary.steps >= 20_000)
        #expect(skipped == 4, "updates dropped: \(skipped)")
        #expect(trainer.parameters.array.allSatisfy { $0.isFinite })
    }

    /// Every reward poisoned from step 1,000 on: the run stops with one line after ten dropped
    /// updates in a row, its parameters those of the last good update.
    @Test func nanGradientsInARowStopTheRunWithGoodParameters() throws {
        let trainer = try Trainer(config: config(steps: 100_000), environment: corridor(poisoned: { $0 > 1_000 }))
        let error = #expect(throws: (any Error).self) { _ = try trainer.run() }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("NaN or infinite in 10 updates in a row") && !message.contains("\n"), "\(message)")
        #expect(trainer.progress.steps < 2_000)
        #expect(trainer.parameters.array.allSatisfy { $0.isFinite })
    }
}

/// A continuous task whose action space and action count disagree, or whose bounds are empty: the
/// policy would act in the wrong dimension, so training refuses it before any worker starts.
final class MisdeclaredThrottle: Environment {
    let id = "MisdeclaredThrottle"
    let observationSpace = BoxSpace(shape: [2], low: -1, high: 1)
    let actionCount: Int
    let actionSpace: ActionSpace

    init(actionCount: Int, actionSpace: ActionSpace) {
        self.actionCount = actionCount
        self.actionSpace = actionSpace
    }

    func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) throws {
        observation.update(repeating: 0)
    }

    func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        StepResult(reward: 0, terminated: true, truncated: false)
    }
}

@Suite("Environments that declare their actions badly")
struct MisdeclaredActionTests {
    @Test(arguments: [
        (2, ActionSpace.box(low: [-1, -1, -1], high: [1, 1, 1]), "a box of 3 low and 3 high bounds, and an action count of 2"),
        (2, ActionSpace.box(low: [-1, -1], high: [1]), "a box of 2 low and 1 high bounds"),
        (1, ActionSpace.box(low: [1], high: [-1]), "action dimension 0 has no values between its bounds 1.0 and -1.0"),
    ])
    func trainingRefusesThemInOneLine(actionCount: Int, space: ActionSpace, message: String) {
        let spec = EnvironmentSpec(
            id: "MisdeclaredThrottle", maxEpisodeSteps: nil, rewardThreshold: nil, summary: "a test task",
            factory: { MisdeclaredThrottle(actionCount: actionCount, actionSpace: space) })
        var config = TrainingConfig()
        config.environmentID = "MisdeclaredThrottle"
        do {
            _ = try Trainer(config: config, environment: spec)
            Issue.record("accepted \(space) with an action count of \(actionCount)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
            #expect(!"\(error)".contains("\n"))
        }
    }
}
