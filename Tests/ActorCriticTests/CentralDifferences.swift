import Testing

/// Checks every parameter's backward-pass derivative against the central difference of `loss`
/// with step `h`, within 2 % (or 0.02 absolute for small slopes); `label` names the case.
func expectCentralDifferences(
    parameters: [Float], gradient: [Float], step h: Float, label: String, loss: ([Float]) -> Double
) {
    for i in parameters.indices {
        var plus = parameters, minus = parameters
        plus[i] += h
        minus[i] -= h
        let central = (loss(plus) - loss(minus)) / Double(2 * h)
        let analytic = Double(gradient[i])
        #expect(
            abs(central - analytic) <= 2e-2 * max(1, abs(central)),
            "\(label): parameter \(i): backward \(analytic), central difference \(central)")
    }
}
