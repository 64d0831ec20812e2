/// What an environment's actions are: an index among `count` choices (Gymnasium's `Discrete`), or
/// a vector of Floats within per-dimension bounds (Gymnasium's `Box`).
public enum ActionSpace: Sendable, Hashable {
    /// One of `count` actions, by index.
    case discrete(count: Int)
    /// A vector of `low.count` Floats; the environment clips what lies outside `low ... high`.
    case box(low: [Float], high: [Float])

    /// Actions are vectors of Floats.
    @inlinable public var isContinuous: Bool {
        if case .box = self { true } else { false }
    }

    /// The number of choices of a discrete space; the number of dimensions of a box.
    public var size: Int {
        switch self {
        case .discrete(let count): count
        case .box(let low, _): low.count
        }
    }

    /// How `a3c envs` and messages show it: "3 actions" or "box of 1 in [-2, 2]".
    public var summary: String {
        switch self {
        case .discrete(let count): return "\(count) actions"
        case .box(let low, let high):
            let bounds = Set(low).count == 1 && Set(high).count == 1
                ? "[\(Self.format(low[0])), \(Self.format(high[0]))]"
                : zip(low, high).map { "[\(Self.format($0)), \(Self.format($1))]" }.joined(separator: " x ")
            return "continuous, \(low.count) dimension\(low.count == 1 ? "" : "s") in \(bounds)"
        }
    }

    private static func format(_ value: Float) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
