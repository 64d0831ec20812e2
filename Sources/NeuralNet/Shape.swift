/// The shape of one sample (no batch dimension). Images are [height, width, channels] (NHWC rows).
public struct Shape: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The dimensions, outermost first.
    public let dimensions: [Int]

    public init(_ dimensions: [Int]) {
        precondition(!dimensions.isEmpty && dimensions.allSatisfy { $0 > 0 }, "invalid shape \(dimensions)")
        self.dimensions = dimensions
    }

    public init(_ dimensions: Int...) { self.init(dimensions) }

    /// Number of elements in one sample.
    public var count: Int { dimensions.reduce(1, *) }

    public var description: String { dimensions.map(String.init).joined(separator: "x") }
}
