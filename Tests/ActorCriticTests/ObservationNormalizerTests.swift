import ActorCritic
import Foundation
import Randomness
import Testing

@Suite("Observation normalisation")
struct ObservationNormalizerTests {
    /// Batches merged one after another give the mean and variance of all the data at once.
    @Test func mergedBatchesGiveTheStatisticsOfAllTheData() {
        var rng = Xoshiro256(seed: 3)
        let width = 3, sizes = [7, 50, 1, 120]
        let normalizer = ObservationNormalizer(width: width)
        var all: [[Double]] = Array(repeating: [], count: width)
        for size in sizes {
            var sums = [Double](repeating: 0, count: width), squares = sums
            for _ in 0..<size {
                for i in 0..<width {
                    let x = Double(Float(rng.uniform(-5, 5) * Double(i + 1) + Double(10 * i)))
                    all[i].append(x)
                    sums[i] += x
                    squares[i] += x * x
                }
            }
            normalizer.merge(count: size, sums: sums, squares: squares)
        }
        let statistics = normalizer.statistics
        #expect(abs(statistics.count - Double(sizes.reduce(0, +))) < 1e-3)
        for i in 0..<width {
            let mean = all[i].reduce(0, +) / Double(all[i].count)
            let variance = all[i].map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(all[i].count)
            #expect(abs(statistics.mean[i] - mean) <= 1e-5 * max(1, abs(mean)), "element \(i) mean")
            #expect(abs(statistics.variance[i] - variance) <= 1e-5 * max(1, variance), "element \(i) variance")
        }
        // Normalising uses them: the mean maps to 0, one standard deviation to 1, far values are clipped.
        var shift = [Float](repeating: 0, count: width), scale = shift
        statistics.coefficients(shift: &shift, scale: &scale)
        var rows: [Float] = [Float(statistics.mean[0]), Float(statistics.mean[1] + statistics.variance[1].squareRoot()), 1e6]
        ObservationNormalizer.normalize(&rows, count: 1, width: width, shift: shift, scale: scale, sums: nil, squares: nil)
        #expect(abs(rows[0]) < 1e-5 && abs(rows[1] - 1) < 1e-4 && rows[2] == ObservationNormalizer.clip)
    }

    /// A run counts every observation its environments gave (the first one and one per step), and
    /// the statistics come back in its snapshot.
    @Test func trainingCountsEveryObservation() throws {
        var config = TrainingConfig.defaults(for: "Pendulum-v1")
        config.workers = 1
        config.seed = 2
        config.totalSteps = 800
        config.normalizeObservations = true
        let trainer = try Trainer(config: config)
        let summary = try trainer.run()
        let statistics = try #require(trainer.snapshot().observationStatistics)
        #expect(abs(statistics.count - Double(summary.steps + 1)) < 1e-3, "\(statistics.count) for \(summary.steps) steps")
        // cos θ and sin θ lie in [-1, 1]; the angular velocity varies.
        #expect(statistics.mean[0] >= -1 && statistics.mean[0] <= 1 && statistics.variance[2] > 0.01)
    }

    /// Reward normalisation follows every step's discounted return, starting again at each
    /// episode's end: with CartPole's reward of 1 per step, the k-th step of an episode has the
    /// return (1 - γ^k) / (1 - γ), so the episodes' lengths give the statistics exactly.
    @Test func rewardNormalisationTracksTheDiscountedReturns() throws {
        var config = TrainingConfig()
        config.workers = 1
        config.seed = 3
        config.totalSteps = 3_000
        config.targetReturn = 10_000
        config.normalizeRewards = true
        let trainer = try Trainer(config: config)
        let summary = try trainer.run()
        let statistics = try #require(trainer.snapshot().returnStatistics)
        var lengths = trainer.episodes.map(\.length)
        lengths.append(summary.steps - lengths.reduce(0, +))  // the episode still going
        let gamma = Double(config.gamma)
        var returns: [Double] = []
        for length in lengths where length > 0 {
            var discounted = 0.0
            for _ in 0..<length {
                discounted = gamma * discounted + 1
                returns.append(discounted)
            }
        }
        let mean = returns.reduce(0, +) / Double(returns.count)
        let variance = returns.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(returns.count)
        #expect(abs(statistics.count - Double(summary.steps)) < 1e-3, "\(statistics.count) for \(summary.steps) steps")
        #expect(abs(statistics.mean[0] - mean) < 1e-3 * mean, "mean \(statistics.mean[0]), expected \(mean)")
        #expect(abs(statistics.variance[0] - variance) < 1e-2 * variance, "variance \(statistics.variance[0]), expected \(variance)")
        #expect(trainer.snapshot().observationStatistics == nil)
    }
}
