import ActorCritic
import Testing

@Suite("Evaluation during training")
struct EvaluationDuringTrainingTests {
    @Test func evaluationsPlayWholeGamesWithSnapshots() throws {
        var config = TrainingConfig()
        config.seed = 2
        config.totalSteps = 200_000
        config.targetReturn = 10_000  // the budget decides
        config.evalEvery = 25_000
        config.evalEpisodes = 3
        config.evalGreedy = true
        let trainer = try Trainer(config: config)
        var records: [EvaluationRecord] = []
        _ = try trainer.run(monitorInterval: 0.05) { records += $0.drainEvaluations() }
        records += trainer.drainEvaluations()
        #expect(records.count >= 2, "at least two evaluations in 200k steps (one at a time, every 25k)")
        for record in records {
            #expect(record.result.scores.count == 3)
            #expect(record.result.scores.allSatisfy { $0 >= 8 && $0 <= 500 }, "whole CartPole games: \(record.result.scores)")
            #expect(record.globalStep >= 25_000 && record.state.steps == record.globalStep)
            #expect(record.state.parameters.count == trainer.model.parameterCount)
        }
        #expect(records.map(\.globalStep) == records.map(\.globalStep).sorted())
        // Greedy play of a policy trained for 200k steps is far better than the first random games.
        #expect((records.last?.result.mean ?? 0) > 100, "last evaluation: \(records.last?.result.scores ?? [])")
    }
}
