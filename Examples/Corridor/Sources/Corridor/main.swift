import ActorCritic
import Environments
import Foundation

/// A corridor of `length` cells. The agent starts at the left end and may step left or right; the
/// right end pays 1 and ends the episode, every step costs 0.01. The observation is the agent's
/// cell, one-hot. Nothing here is Python: any Swift type that implements `Environment` trains.
final class Corridor: Environment {
    let id = "Corridor"
    let length: Int
    let observationSpace: BoxSpace
    let actionCount = 2
    private var position = 0

    init(length: Int) {
        self.length = length
        observationSpace = BoxSpace(shape: [length], low: 0, high: 1)
    }

    func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) throws {
        position = 0
        show(in: observation)
    }

    func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        position = max(0, min(length - 1, position + (action == 1 ? 1 : -1)))
        show(in: observation)
        let arrived = position == length - 1
        return StepResult(reward: arrived ? 1 : -0.01, terminated: arrived, truncated: false)
    }

    private func show(in observation: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<length { observation[i] = i == position ? 1 : 0 }
    }
}

// The best return is 1 - 0.01 * (length - 2); a random walk rarely gets there in 100 steps.
let length = 12
let corridor = EnvironmentSpec(
    id: "Corridor", maxEpisodeSteps: 100, rewardThreshold: 0.85, summary: "a corridor written in Swift",
    factory: { Corridor(length: length) })

var config = TrainingConfig()
config.environmentID = corridor.id
config.seed = 1
config.totalSteps = 300_000
let trainer = try Trainer(config: config, environment: corridor)
let summary = try trainer.run()
print(
    "\(summary.solved ? "solved" : "not solved"): \(corridor.id) mean of the last 100 episodes "
        + "\(String(format: "%.3f", summary.meanReturn100 ?? .nan)) after \(summary.steps) steps, "
        + "\(String(format: "%.2f", summary.wallSeconds)) s")
exit(summary.solved ? 0 : 1)
