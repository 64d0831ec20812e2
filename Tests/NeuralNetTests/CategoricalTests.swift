import Foundation
import NeuralNet
import Randomness
import Testing

@Suite("Categorical distribution")
struct CategoricalTests {
    @Test func softmaxLogSoftmaxAndEntropy() {
        let logits: [Float] = [1, 2, 0.5, -3]
        var p = [Float](repeating: 0, count: 4), logP = [Float](repeating: 0, count: 4)
        let entropy = Categorical.evaluate(logits: logits, count: 4, probabilities: &p, logProbabilities: &logP)
        let exps = logits.map { exp(Double($0)) }
        let sum = exps.reduce(0, +)
        var expectedEntropy = 0.0
        for i in 0..<4 {
            let q = exps[i] / sum
            #expect(abs(Double(p[i]) - q) < 1e-6)
            #expect(abs(Double(logP[i]) - log(q)) < 1e-5)
            expectedEntropy -= q * log(q)
        }
        #expect(abs(Double(entropy) - expectedEntropy) < 1e-5)
    }

    @Test func largeLogitsDoNotOverflow() {
        let logits: [Float] = [1000, 999, -1000]
        var p = [Float](repeating: 0, count: 3), logP = [Float](repeating: 0, count: 3)
        let entropy = Categorical.evaluate(logits: logits, count: 3, probabilities: &p, logProbabilities: &logP)
        #expect(p.allSatisfy { $0.isFinite } && entropy.isFinite)
        #expect(abs(p[0] - 0.7310586) < 1e-5)
    }

    @Test func samplingFollowsTheProbabilities() {
        let p: [Float] = [0.2, 0.5, 0.3]
        var rng = Xoshiro256(seed: 3)
        var counts = [0, 0, 0]
        let draws = 200_000
        for _ in 0..<draws { counts[Categorical.sample(probabilities: p, count: 3, uniform: rng.nextUnitFloat())] += 1 }
        for i in 0..<3 {
            // 5 standard deviations of a binomial proportion at n = 200k is under 0.006.
            #expect(abs(Double(counts[i]) / Double(draws) - Double(p[i])) < 0.006)
        }
    }

    @Test func policyGradientMatchesFiniteDifferences() {
        let logits: [Float] = [0.3, -0.7, 1.1]
        let (action, advantage, beta): (Int, Float, Float) = (2, 1.7, 0.05)
        func loss(_ z: [Float]) -> Double {
            var p = [Float](repeating: 0, count: 3), logP = [Float](repeating: 0, count: 3)
            let h = Categorical.evaluate(logits: z, count: 3, probabilities: &p, logProbabilities: &logP)
            return -Double(logP[action]) * Double(advantage) - Double(beta) * Double(h)
        }
        var p = [Float](repeating: 0, count: 3), logP = [Float](repeating: 0, count: 3)
        let h = Categorical.evaluate(logits: logits, count: 3, probabilities: &p, logProbabilities: &logP)
        var gradient = [Float](repeating: 0, count: 3)
        Categorical.policyGradient(
            probabilities: p, logProbabilities: logP, entropy: h, count: 3, action: action,
            advantage: advantage, entropyBeta: beta, scale: 1, logitGradient: &gradient)
        for i in 0..<3 {
            var plus = logits, minus = logits
            plus[i] += 1e-2
            minus[i] -= 1e-2
            let numeric = (loss(plus) - loss(minus)) / 2e-2
            #expect(abs(numeric - Double(gradient[i])) < 1e-3, "logit \(i)")
        }
    }
}
