import NeuralNet

/// Bytes of one message between ranks, written in order and read back in the same order. Both ends
/// are the same binary on the same kind of machine, so values go as their memory (little-endian).
struct WireWriter {
    private(set) var bytes: [UInt8] = []

    /// Starts a new message in the same storage.
    mutating func reset() { bytes.removeAll(keepingCapacity: true) }

    mutating func append<T: BitwiseCopyable>(_ value: T) {
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ values: UnsafePointer<Float>, count: Int) {
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: values, count: count * MemoryLayout<Float>.stride))
    }

    mutating func append(_ values: [Double]) {
        append(Int64(values.count))
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ text: String) {
        let utf8 = Array(text.utf8)
        append(Int64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Sends the message to `rank` with `tag`.
    func send(to rank: Int, tag: Int) throws {
        try bytes.withUnsafeBytes { (raw) in try MPI.send(raw, to: rank, tag: tag) }
    }
}

/// Reads a message `WireWriter` wrote.
struct WireReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func read<T: BitwiseCopyable>(_: T.Type = T.self) throws -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= bytes.count else { throw DistributedError("a message from another rank ended early") }
        defer { offset += size }
        return bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
    }

    mutating func read(_ count: Int, into target: UnsafeMutablePointer<Float>) throws {
        let size = count * MemoryLayout<Float>.stride
        guard offset + size <= bytes.count else { throw DistributedError("a message from another rank ended early") }
        UnsafeMutableRawPointer(target).copyMemory(from: bytes.baseAddress! + offset, byteCount: size)
        offset += size
    }

    mutating func readDoubles() throws -> [Double] {
        let count = Int(try read(Int64.self))
        guard count >= 0, offset + count * 8 <= bytes.count else { throw DistributedError("a message from another rank ended early") }
        var values = [Double](repeating: 0, count: count)
        values.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count * 8)])) }
        offset += count * 8
        return values
    }

    mutating func readString() throws -> String {
        let count = Int(try read(Int64.self))
        guard count >= 0, offset + count <= bytes.count else { throw DistributedError("a message from another rank ended early") }
        defer { offset += count }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]), as: UTF8.self)
    }
}

extension WireWriter {
    /// What every message to rank 0's server starts with: its kind, the sending rank, the worker
    /// (-1 for the rank as a whole).
    mutating func appendHeader(_ kind: WireKind, rank: Int, worker: Int) {
        append(kind.rawValue)
        append(Int32(rank))
        append(Int32(worker))
    }

    mutating func append(_ statistics: ObservationNormalizer.Statistics) {
        append(statistics.count)
        append(statistics.mean)
        append(statistics.variance)
    }

    mutating func append(_ terms: ActorCriticLoss.Terms) {
        for field in ActorCriticLoss.Terms.fields { append(terms[keyPath: field]) }
    }
}

extension WireWriter {
    /// Finished games and host restarts, as rank 0's server reads them (`ParameterServer.readReports`).
    mutating func appendReports(
        episodes: [(worker: Int, episodeReturn: Double, length: Int)], restarts: [(worker: Int, restart: Int, reason: String)]
    ) {
        append(Int64(episodes.count))
        for episode in episodes {
            append(Int32(episode.worker))
            append(episode.episodeReturn)
            append(Int64(episode.length))
        }
        append(Int64(restarts.count))
        for restart in restarts {
            append(Int32(restart.worker))
            append(Int64(restart.restart))
            append(restart.reason)
        }
    }
}

extension WireReader {
    mutating func readStatistics() throws -> ObservationNormalizer.Statistics {
        let count = try read(Double.self)
        return ObservationNormalizer.Statistics(count: count, mean: try readDoubles(), variance: try readDoubles())
    }

    mutating func readTerms() throws -> ActorCriticLoss.Terms {
        var terms = ActorCriticLoss.Terms()
        for field in ActorCriticLoss.Terms.fields { terms[keyPath: field] = try read() }
        return terms
    }
}
