import ActorCritic
import Testing

@Suite("n-step returns and GAE")
struct ReturnsTests {
    let rewards: [Float] = [1, 0, 2, -1]
    let values: [Float] = [0.5, 0.2, 1.0, 0.3]

    @Test func nStepReturnsBootstrapFromTheLastValue() {
        var returns = [Float](repeating: 0, count: 4), advantages = [Float](repeating: 0, count: 4)
        Returns.nStep(
            rewards: rewards, values: values, count: 4, bootstrap: 2, gamma: 0.9,
            returns: &returns, advantages: &advantages)
        let r3: Float = -1 + 0.9 * 2
        let r2: Float = 2 + 0.9 * r3
        let r1: Float = 0 + 0.9 * r2
        let r0: Float = 1 + 0.9 * r1
        for (got, expected) in zip(returns, [r0, r1, r2, r3]) { #expect(abs(got - expected) < 1e-6) }
        for t in 0..<4 { #expect(abs(advantages[t] - (returns[t] - values[t])) < 1e-6) }
    }

    @Test func terminalStateBootstrapsZero() {
        var returns = [Float](repeating: 0, count: 2), advantages = [Float](repeating: 0, count: 2)
        Returns.nStep(
            rewards: [1, 1], values: [0, 0], count: 2, bootstrap: 0, gamma: 0.5,
            returns: &returns, advantages: &advantages)
        #expect(returns == [1.5, 1])
    }

    @Test func gaeWithLambdaOneEqualsNStepAdvantages() {
        var nReturns = [Float](repeating: 0, count: 4), nAdvantages = [Float](repeating: 0, count: 4)
        Returns.nStep(
            rewards: rewards, values: values, count: 4, bootstrap: 0.7, gamma: 0.95,
            returns: &nReturns, advantages: &nAdvantages)
        var gReturns = [Float](repeating: 0, count: 4), gAdvantages = [Float](repeating: 0, count: 4)
        Returns.generalizedAdvantage(
            rewards: rewards, values: values, count: 4, bootstrap: 0.7, gamma: 0.95, lambda: 1,
            returns: &gReturns, advantages: &gAdvantages)
        for t in 0..<4 {
            #expect(abs(nAdvantages[t] - gAdvantages[t]) < 1e-5)
            #expect(abs(nReturns[t] - gReturns[t]) < 1e-5)
        }
    }

    @Test func gaeWithLambdaZeroIsTheTDError() {
        var returns = [Float](repeating: 0, count: 4), advantages = [Float](repeating: 0, count: 4)
        Returns.generalizedAdvantage(
            rewards: rewards, values: values, count: 4, bootstrap: 0.7, gamma: 0.95, lambda: 0,
            returns: &returns, advantages: &advantages)
        let next: [Float] = [0.2, 1.0, 0.3, 0.7]
        for t in 0..<4 { #expect(abs(advantages[t] - (rewards[t] + 0.95 * next[t] - values[t])) < 1e-6) }
    }

    @Test func normalisedAdvantagesHaveMeanZeroAndSampleDeviationOne() {
        var values: [Float] = [0.004, -0.002, 0.031, 0, 0, 0.0005, -0.01, 0.002]
        let original = values.map(Double.init)
        let mean = original.reduce(0, +) / 8
        let deviation = (original.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 7).squareRoot()
        values.withUnsafeMutableBufferPointer { Returns.normalize($0.baseAddress!, count: 8) }
        for (got, x) in zip(values, original) { #expect(abs(Double(got) - (x - mean) / deviation) < 1e-5) }
        #expect(abs(values.map(Double.init).reduce(0, +)) < 1e-5)
        var one: [Float] = [0.3]
        one.withUnsafeMutableBufferPointer { Returns.normalize($0.baseAddress!, count: 1) }
        #expect(one == [0.3])
    }
}
