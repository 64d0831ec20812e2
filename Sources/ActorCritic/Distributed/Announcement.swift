import Environments
import Foundation
import NeuralNet

/// What rank 0 tells every other rank before training starts: the settings it resolved (the seed
/// it drew, a resumed run's own config), where the run stands (for A2C, whose ranks each keep the
/// parameters and the optimizer, all of it), and how many workers rank 0 runs itself.
struct Announcement {
    var config: TrainingConfig
    var state: TrainingState
    /// Workers on rank 0 (0: it only serves).
    var serverWorkers: Int

    /// Global index of rank `rank`'s first worker.
    func firstWorker(ofRank rank: Int) -> Int { rank == 0 ? 0 : serverWorkers + (rank - 1) * config.workers }

    private static let announced = Locked(false)

    /// Rank 0: sends `announcement` to every rank, or (nil) tells them the run will not start; once
    /// per process (the other ranks listen once).
    static func broadcastOnce(_ announcement: Announcement?) throws {
        guard announced.withLock({ done in defer { done = true }; return !done }) else { return }
        var writer = WireWriter()
        if let announcement {
            let json: Data
            do { json = try JSONEncoder().encode(announcement.config) } catch {
                throw DistributedError("the settings could not be encoded for the other ranks: \(error)")
            }
            writer.append(String(decoding: json, as: UTF8.self))
            writer.append(Int64(announcement.serverWorkers))
            let state = announcement.state
            for value in [state.steps, state.updates, state.episodes, state.optimizerSteps] { writer.append(Int64(value)) }
            writer.append(state.wallSeconds)
            state.parameters.withUnsafeBufferPointer { writer.append(Int64($0.count)); writer.append($0.baseAddress!, count: $0.count) }
            writer.append(Int64(state.optimizerState.count))
            for (name, values) in state.optimizerState.sorted(by: { $0.key < $1.key }) {
                writer.append(name)
                values.withUnsafeBufferPointer { writer.append(Int64($0.count)); writer.append($0.baseAddress!, count: $0.count) }
            }
            for statistics in [state.observationStatistics, state.returnStatistics] {
                writer.append(UInt8(statistics == nil ? 0 : 1))
                if let statistics { writer.append(statistics) }
            }
        }
        var length = Int64(writer.bytes.count)
        try withUnsafeMutableBytes(of: &length) { (raw) in try MPI.broadcast(raw, root: 0) }
        guard length > 0 else { return }
        var bytes = writer.bytes
        try bytes.withUnsafeMutableBytes { (raw) in try MPI.broadcast(raw, root: 0) }
    }

    /// Ranks > 0: what rank 0 announced; nil when the run does not start (rank 0 said why).
    static func receive() throws -> Announcement? {
        var length: Int64 = 0
        try withUnsafeMutableBytes(of: &length) { (raw) in try MPI.broadcast(raw, root: 0) }
        guard length > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        try bytes.withUnsafeMutableBytes { (raw) in try MPI.broadcast(raw, root: 0) }
        return try bytes.withUnsafeBytes { (raw) in
            var reader = WireReader(raw)
            let config: TrainingConfig
            do { config = try JSONDecoder().decode(TrainingConfig.self, from: Data(try reader.readString().utf8)) } catch {
                throw DistributedError("rank 0's settings could not be read: \(error)")
            }
            let serverWorkers = Int(try reader.read(Int64.self))
            let steps = Int(try reader.read(Int64.self)), updates = Int(try reader.read(Int64.self))
            let episodes = Int(try reader.read(Int64.self)), optimizerSteps = Int(try reader.read(Int64.self))
            let wallSeconds = try reader.read(Double.self)
            func floats(_ reader: inout WireReader) throws -> [Float] {
                let count = Int(try reader.read(Int64.self))
                guard count >= 0 && count < 1 << 31 else { throw DistributedError("rank 0 announced \(count) values") }
                var values = [Float](repeating: 0, count: count)
                try values.withUnsafeMutableBufferPointer { (buffer) in
                    if count > 0 { try reader.read(count, into: buffer.baseAddress!) }
                }
                return values
            }
            let parameters = try floats(&reader)
            var optimizerState: [String: [Float]] = [:]
            for _ in 0..<Int(try reader.read(Int64.self)) {
                let name = try reader.readString()
                optimizerState[name] = try floats(&reader)
            }
            var state = TrainingState(
                parameters: parameters, optimizerState: optimizerState, optimizerSteps: optimizerSteps, steps: steps,
                updates: updates, episodes: episodes, wallSeconds: wallSeconds, recentReturns: [], bestMeanReturn100: nil)
            if try reader.read(UInt8.self) != 0 { state.observationStatistics = try reader.readStatistics() }
            if try reader.read(UInt8.self) != 0 { state.returnStatistics = try reader.readStatistics() }
            return Announcement(config: config, state: state, serverWorkers: serverWorkers)
        }
    }
}

/// A2C across ranks: each rank's summed gradient and step count meet in one MPI_Reduce on rank 0,
/// which decides whether this is the last update and broadcasts the total with that decision.
/// Every rank then applies the same numbers with its own optimizer, so the parameters stay
/// bit-identical everywhere (an MPI_Allreduce may sum in a different order on different ranks;
/// reduce-then-broadcast cannot).
///
/// Not thread-safe: called by the one worker that completes each update on its rank.
final class RankReduction: @unchecked Sendable {
    let job: MPI.Job
    private let count: Int
    private let outgoing: FloatBuffer
    private let total: FloatBuffer
    /// Ranks > 0: sends the games finished since the last update to rank 0 (its server thread).
    var report: (() -> Void)?

    init(job: MPI.Job, parameterCount: Int) {
        self.job = job
        count = parameterCount
        outgoing = FloatBuffer(count: parameterCount + Self.extras)
        total = FloatBuffer(count: parameterCount + Self.extras)
    }

    /// Floats after the gradient: steps, stop, the KL sum and the workers behind it.
    private static let extras = 4

    /// Sums `gradient` (replaced by the sum over every rank), `steps`, the approximate KL `kl` and
    /// the `contributors` it was summed over; `stopHere` asks for this to be the last update.
    /// Returns the sums of all ranks and whether to stop.
    func reduce(
        _ gradient: UnsafeMutablePointer<Float>, steps: Int, stopHere: Bool, kl: Float = 0, contributors: Int = 0
    ) throws -> (steps: Int, stop: Bool, kl: Float, contributors: Int) {
        report?()
        outgoing.pointer.update(from: gradient, count: count)
        // Steps per update stay far below 2^24, where floats stop counting exactly.
        outgoing.pointer[count] = Float(steps)
        outgoing.pointer[count + 1] = stopHere ? 1 : 0
        outgoing.pointer[count + 2] = kl
        outgoing.pointer[count + 3] = Float(contributors)
        let all = count + Self.extras
        try MPI.reduceSum(outgoing.pointer, into: total.pointer, count: all, root: 0)
        if job.rank == 0 { total.pointer[count + 1] = total.pointer[count + 1] > 0 ? 1 : 0 }
        try MPI.broadcast(UnsafeMutableRawBufferPointer(start: total.pointer, count: all * 4), root: 0)
        gradient.update(from: total.pointer, count: count)
        return (Int(total.pointer[count]), total.pointer[count + 1] != 0, total.pointer[count + 2], Int(total.pointer[count + 3]))
    }

    /// Running statistics (observations, returns) shared by synchronous ranks: each rank's workers
    /// add what they saw to their slots; at each update the additions of every rank are summed the
    /// same way (reduce to rank 0, then broadcast), every rank merges the total into its `owner`
    /// (the statistics checkpoints keep), and its workers normalise with a copy of that. Every rank
    /// starts from rank 0's statistics and merges the same numbers in the same order, so the
    /// statistics stay bit-identical, as the parameters do.
    func reduceStatistics(_ pairs: [BarrierStatistics]) throws {
        guard !pairs.isEmpty else { return }
        var outgoing: [Double] = []
        for pair in pairs {
            let added = pair.take()
            outgoing.append(Double(added.count))
            outgoing += added.sums
            outgoing += added.squares
        }
        var total = [Double](repeating: 0, count: outgoing.count)
        try MPI.reduceSum(outgoing, into: &total, count: outgoing.count, root: 0)
        try total.withUnsafeMutableBytes { try MPI.broadcast($0, root: 0) }
        var offset = 0
        for pair in pairs {
            let width = pair.width
            let count = Int(total[offset])
            total.withUnsafeBufferPointer { all in
                let sums = all.baseAddress! + offset + 1
                pair.owner.merge(count: count, sums: sums, squares: sums + width)
            }
            offset += 1 + 2 * width
            pair.refresh()
        }
    }
}
