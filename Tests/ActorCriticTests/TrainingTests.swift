import ActorCritic
import Foundation
import NeuralNet
import Testing

@Suite("A3C training")
struct TrainingTests {
    @Test func oneWorkerRunsAreBitIdentical() throws {
        func run() throws -> (parameters: [Float], returns: [Double], steps: Int) {
            var config = TrainingConfig()
            config.workers = 1
            config.seed = 7
            config.totalSteps = 30_000
            config.targetReturn = 10_000  // never reached: the budget decides
            let trainer = try Trainer(config: config)
            let summary = try trainer.run()
            return (trainer.parameters.array, trainer.episodes.map(\.episodeReturn), summary.steps)
        }
        let first = try run(), second = try run()
        #expect(first.steps >= 30_000)
        #expect(first.returns.count > 50)
        #expect(first.steps == second.steps)
        #expect(first.returns == second.returns)
        #expect(first.parameters == second.parameters)
        // A different seed takes a different path.
        var other = TrainingConfig()
        other.workers = 1
        other.seed = 8
        other.totalSteps = 30_000
        other.targetReturn = 10_000
        let otherTrainer = try Trainer(config: other)
        _ = try otherTrainer.run()
        #expect(otherTrainer.parameters.array != first.parameters)
    }

    /// The recurrent network's state, carried across rollouts and reset at episode starts, is as
    /// deterministic as the rest: one worker, one seed, the same parameters twice.
    @Test func oneWorkerLSTMRunsAreBitIdentical() throws {
        func run() throws -> [Float] {
            var config = TrainingConfig()
            config.environmentID = "StatelessCartPole-v1"
            config.network = .mlpLSTM
            config.lstmSize = 16
            config.workers = 1
            config.envsPerWorker = 3
            config.seed = 5
            config.totalSteps = 20_000
            config.targetReturn = 10_000
            let trainer = try Trainer(config: config)
            _ = try trainer.run()
            #expect(trainer.model.network.layers.contains(.lstm(hidden: 16)))
            return trainer.parameters.array
        }
        let first = try run(), second = try run()
        #expect(first == second)
        #expect(first.allSatisfy { $0.isFinite })
    }

    @Test func cartPoleIsSolvedWithTheDefaults() throws {
        var config = TrainingConfig()
        config.seed = 3
        let trainer = try Trainer(config: config)
        let summary = try trainer.run()
        #expect(summary.solved, "mean of the last 100 returns: \(summary.meanReturn100 ?? -1)")
        #expect(summary.stopReason == "solved")
        #expect((summary.meanReturn100 ?? 0) >= 475)
        #expect(summary.steps < config.totalSteps)
        // The 100-episode mean is the mean of the last 100 recorded episodes.
        let last = trainer.episodes.suffix(100).map(\.episodeReturn)
        #expect(abs(last.reduce(0, +) / 100 - summary.meanReturn100!) < 1e-9)
    }

    @Test func gaeAndAdamAlsoLearn() throws {
        var config = TrainingConfig()
        config.seed = 4
        config.gaeLambda = 0.95
        config.optimizer = .adam
        config.learningRate = 1e-3
        config.totalSteps = 150_000
        config.targetReturn = 150
        let summary = try Trainer(config: config).run()
        #expect(summary.solved, "mean of the last 100 returns: \(summary.meanReturn100 ?? -1)")
    }

    /// Continuous actions learn with their defaults (a Gaussian with σ from the state); the update
    /// statistics report its σ, not a largest probability.
    @Test func pendulumSwingsUpWithTheContinuousDefaults() throws {
        var config = TrainingConfig.defaults(for: "Pendulum-v1")
        config.seed = 1
        config.targetReturn = -200
        let trainer = try Trainer(config: config)
        let summary = try trainer.run()
        #expect(summary.solved, "mean of the last 100 returns: \(summary.meanReturn100 ?? -1)")
        let statistics = trainer.drainUpdateStatistics()
        #expect(statistics.updates > 0)
        #expect(statistics.maxProbability == 0)
        // The entropy of one dimension is 0.5 + 0.5 log 2π + log σ; the mean of log σ is at most
        // the log of the mean σ (Jensen), so the logged σ must agree with the logged entropy.
        #expect(statistics.actionStd > Double(Gaussian.minimumStd) && statistics.actionStd.isFinite)
        #expect(statistics.entropy - 1.418_938_5 <= log(statistics.actionStd) + 1e-4, "σ \(statistics.actionStd), entropy \(statistics.entropy)")
    }

    @Test func acrobotIsSolvedWithReLUAndLongerRollouts() throws {
        // Acrobot's -1 rewards push the shared tanh trunk into saturation; ReLU, a lower rate and
        // 16-step rollouts learn it (configs/acrobot.yaml). One worker makes each run the same however
        // busy the machine is, but not the same on every CPU and build (the GEMM's summation order
        // differs). A random policy scores -500; on an AMD Zen 3, 3 of seeds 1-8 reach the
        // threshold of -100 within 300k steps and 6 reach -200 (4 of 6 reach -100 on an Intel Xeon):
        // so five seeds, of which three must reach -200.
        var solved: [UInt64] = []
        for seed: UInt64 in [1, 2, 3, 4, 5] {
            var config = TrainingConfig()
            config.environmentID = "Acrobot-v1"
            config.workers = 1
            config.seed = seed
            config.activation = .relu
            config.learningRate = 1e-3
            config.tMax = 16
            config.totalSteps = 300_000
            config.targetReturn = -200
            if try Trainer(config: config).run().solved { solved.append(seed) }
        }
        #expect(solved.count >= 3, "reached -200 with seeds \(solved) of 1-5")
    }

    @Test func impossibleSettingsAreRejected() {
        func rejects(_ change: (inout TrainingConfig) -> Void, mentioning option: String) {
            var config = TrainingConfig()
            change(&config)
            do {
                try config.validate()
                Issue.record("accepted a bad \(option)")
            } catch {
                #expect(error.description.contains(option))
            }
        }
        rejects({ $0.workers = 0 }, mentioning: "--workers")
        rejects({ $0.gamma = 1.5 }, mentioning: "--gamma")
        rejects({ $0.learningRate = -1 }, mentioning: "--lr")
        rejects({ $0.tMax = 0 }, mentioning: "--t-max")
        rejects({ $0.gaeLambda = 2 }, mentioning: "--gae-lambda")
        rejects({ $0.entropyBeta = -0.1 }, mentioning: "--entropy-beta")
        rejects({ $0.totalSteps = 0 }, mentioning: "--steps")
    }

    @Test func unknownEnvironmentFailsBeforeTraining() {
        var config = TrainingConfig()
        config.environmentID = "Nope-v0"
        #expect(throws: (any Error).self) { try Trainer(config: config) }
    }
}
