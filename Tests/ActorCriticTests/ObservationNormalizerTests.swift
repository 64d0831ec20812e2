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
}
