#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Randomness

/// Gymnasium 1.4's `MountainCarEnv` (Moore 1990): a car in a valley pushes left (0), not at all (1)
/// or right (2); reward -1 per step; terminates at position ≥ 0.5 with velocity ≥ 0; starts at rest
/// at a position uniform in [-0.6, -0.4). `MountainCar-v0` adds the 200-step time limit.
public final class MountainCar: Environment {
    public static let minPosition = -1.2
    public static let maxPosition = 0.6
    public static let maxSpeed = 0.07
    public static let goalPosition = 0.5
    public static let goalVelocity = 0.0
    public static let force = 0.001
    public static let gravity = 0.0025

    public let id = "MountainCar-v0"
    public let actionCount = 3
    public let observationSpace = BoxSpace(
        shape: [2], low: [Float(MountainCar.minPosition), Float(-MountainCar.maxSpeed)],
        high: [Float(MountainCar.maxPosition), Float(MountainCar.maxSpeed)])

    /// (position, velocity), as Gymnasium keeps it (float64).
    public var state: [Double] {
        get { [position, velocity] }
        set {
            precondition(newValue.count == 2, "MountainCar's state has 2 values")
            (position, velocity) = (newValue[0], newValue[1])
        }
    }

    private var position = 0.0, velocity = 0.0
    private var rng: Xoshiro256

    public init(seed: UInt64 = 0) { rng = Xoshiro256(seed: seed) }

    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        if let seed { rng = Xoshiro256(seed: seed) }
        position = rng.uniform(-0.6, -0.4)
        velocity = 0
        write(observation)
    }

    public func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) -> StepResult {
        precondition((0..<3).contains(action), "MountainCar action must be 0, 1 or 2, got \(action)")
        velocity += Double(action - 1) * Self.force + cos(3 * position) * (-Self.gravity)
        velocity = min(max(velocity, -Self.maxSpeed), Self.maxSpeed)
        position += velocity
        position = min(max(position, Self.minPosition), Self.maxPosition)
        if position == Self.minPosition && velocity < 0 { velocity = 0 }
        let terminated = position >= Self.goalPosition && velocity >= Self.goalVelocity
        write(observation)
        return StepResult(reward: -1, terminated: terminated, truncated: false)
    }

    @inline(__always)
    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(position)
        observation[1] = Float(velocity)
    }
}
