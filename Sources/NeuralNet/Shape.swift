/// The shape of one sample (no batch dimension). Images are [height, width, channels] (NHWC rows).
public struct Shape: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The dimensions, outermost first.
    public let dimensions: [Int]

    /// A shape with these dimensions, outermost first; there must be at least one, and all positive.
    public init(_ dimensions: [Int]) {
        precondition(!dimensions.isEmpty && dimensions.allSatisfy { $0 > 0 }, "invalid shape \(dimensions)")
        self.dimensions = dimensions
    }

    /// A shape with the dimensions listed inline, e.g. `Shape(84, 84, 4)`.
    public init(_ dimensions: Int...) { self.init(dimensions) }

    /// Number of elements in one sample.
    public var count: Int { dimensions.reduce(1, *) }

    /// The dimensions joined by "x", e.g. "84x84x4".
    public var description: String { dimensions.map(String.init).joined(separator: "x") }
}
