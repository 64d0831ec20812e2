#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed-size, 64-byte aligned, zero-initialised array of Float that owns its memory.
///
/// Concurrency: no synchronisation at all. Several threads may read and write it at once; A3C's
/// shared parameters and optimizer statistics are updated this way on purpose (Hogwild).
public final class FloatBuffer: @unchecked Sendable {
    /// Number of elements.
    public let count: Int
    /// The first element; valid for the buffer's lifetime.
    public let pointer: UnsafeMutablePointer<Float>

    /// A buffer of `count` zeros.
    public init(count: Int) {
        precondition(count >= 0, "negative buffer size")
        self.count = count
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("out of memory allocating \(bytes) bytes")
        }
        memset(raw, 0, bytes)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// A buffer holding a copy of `values`.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { free(pointer) }

    /// The elements as a buffer pointer.
    @inlinable public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    /// Copies every element of `other`, which must have the same size.
    @inlinable public func copy(from other: FloatBuffer) {
        precondition(other.count == count, "buffer sizes differ")
        pointer.update(from: other.pointer, count: count)
    }

    /// Sets every element to `value`.
    @inlinable public func fill(_ value: Float) {
        pointer.update(repeating: value, count: count)
    }

    /// A copy of the contents as an array (for tests and files, not for hot paths).
    public var array: [Float] { Array(buffer) }
}
