import Atomics
import Environments
import Foundation
import NeuralNet

/// What one rank's message to rank 0 is.
enum WireKind: UInt8 {
    /// An actor-learner asks for the parameters (its first rollout).
    case pull
    /// An actor-learner's rollout: its gradient, steps, loss terms, finished games and statistics;
    /// the answer carries the parameters after it.
    case gradient
    /// A synchronous (A2C) rank's games and host restarts since its last report.
    case report
    /// A worker on another rank failed: one line.
    case failure
    /// A synchronous (A2C) rank has stopped (worker -1), or an A3C worker leaves without having
    /// been answered "stop".
    case done
    /// Rank 0 tells its own server thread to end.
    case shutdown
}

/// Tags of messages between ranks: rank 0's server listens on `server`; a worker's answers come on
/// its own (global) index.
enum WireTag {
    static let server = 30_000
}

/// Rank 0's side of a distributed run: a thread that answers the other ranks. For A3C it is the
/// parameter server: each message from an actor-learner carries one rollout's gradient, which is
/// applied to the global parameters at once (Hogwild, beside rank 0's own workers) and answered
/// with the parameters after it, so one round trip is both the push and the next pull. Point-to-point
/// messages to one thread were chosen over one-sided windows (MPI_Accumulate/MPI_Get) by
/// measurement (benchmarks/distributed/window-vs-messages.txt): between machines over TCP, Open
/// MPI 4.1 refuses to make the window at all (it has one-sided transports for RDMA hardware and
/// shared memory only), while messages ran 124 round trips/s of a 647k-float gradient and answer.
/// On one machine the window was faster (2,767 against 994 a second: it is shared memory there),
/// but an accumulate only adds: the server clips each gradient by its own norm and runs the shared
/// optimizer (RMSProp's statistics, Adam's moments) on it, and a window's locks would serialise
/// the rank-0 workers' Hogwild writes. For A2C the gradients meet in MPI_Reduce (`RankReduction`); this thread then
/// only takes the other ranks' finished games for the logs and the target.
///
/// Concurrency: one thread runs `serve`; `lastHeard` is read by the monitor under its lock.
final class ParameterServer: @unchecked Sendable {
    let shared: SharedTraining
    let job: MPI.Job
    /// Actor-learners on the other ranks (A3C), each to be answered "stop" once.
    private var remoteWorkersLeft: Int
    /// Remote workers answered "stop", failed or gone, by rank: each counts out once.
    private var countedOut: [Int: Set<Int>] = [:]
    /// Ranks > 0 that have not said they are done (A2C).
    private var synchronousRanksLeft: Int
    private let synchronous: Bool
    private let heard: Locked<[Double]>
    private let finalFingerprints = Locked<[Int: (fingerprint: UInt64, updates: Int)]>([:])
    /// The first rank silent for too long, once the monitor has given up on it.
    let silentRank = ManagedAtomic<Int>(-1)
    private var incoming: [UInt8] = []
    private var outgoing = WireWriter()
    /// The answer in flight to each remote worker (by global index): sent without waiting, so a
    /// rank that stops listening (it is ending, or died) never blocks this thread.
    private var answers: [Int: Answer] = [:]
    private let gradient: FloatBuffer

    private let workersPerRank: Int

    init(shared: SharedTraining, job: MPI.Job, workersPerRank: Int) {
        self.shared = shared
        self.workersPerRank = workersPerRank
        self.job = job
        synchronous = shared.config.algorithm.sharing == .synchronous
        remoteWorkersLeft = synchronous ? 0 : workersPerRank * (job.size - 1)
        synchronousRanksLeft = synchronous ? job.size - 1 : 0
        heard = Locked(Array(repeating: MPI.time, count: job.size))
        gradient = FloatBuffer(count: shared.parameters.count)
    }

    /// Answers the other ranks until every one of them has been told to stop (or has failed).
    func serve() throws {
        // The clock starts with the run, after rank 0's own start-up.
        heard.withLock { times in for rank in times.indices { times[rank] = MPI.time } }
        defer { abandonAnswers() }
        while remoteWorkersLeft > 0 || synchronousRanksLeft > 0 {
            let (source, _, count) = try MPI.receive(into: &incoming, from: nil, tag: WireTag.server) { [self] in
                for answer in answers.values { answer.poll() }
            }
            heard.withLock { $0[source] = MPI.time }
            try incoming.withUnsafeBytes { (raw) in
                var reader = WireReader(UnsafeRawBufferPointer(rebasing: raw[0..<count]))
                try handle(&reader, from: source)
            }
        }
    }

    /// Wakes `serve` from rank 0 itself, to end it early (the run failed before the others stopped).
    func interrupt() {
        var writer = WireWriter()
        writer.appendHeader(.shutdown, rank: job.rank, worker: -1)
        try? writer.send(to: job.rank, tag: WireTag.server)
    }

    private func handle(_ reader: inout WireReader, from source: Int) throws {
        guard let kind = WireKind(rawValue: try reader.read(UInt8.self)) else {
            throw DistributedError("rank \(source) sent a message of unknown kind")
        }
        _ = try reader.read(Int32.self)
        let worker = Int(try reader.read(Int32.self))
        switch kind {
        case .pull:
            try answer(worker: worker, rank: source)
        case .gradient:
            let steps = Int(try reader.read(Int64.self))
            let terms = try reader.readTerms()
            try readReports(&reader, rank: source)
            if let normalizer = shared.normalizer { try normalizer.merge(from: &reader) }
            if let returns = shared.returnNormalizer { try returns.merge(from: &reader) }
            try reader.read(gradient.count, into: gradient.pointer)
            let norm = shared.apply(gradient.pointer, stepsBefore: shared.count(steps: steps))
            shared.updateStatistics.add(terms, gradientNorm: norm, isNewUpdate: true)
            try answer(worker: worker, rank: source)
        case .report:
            try readReports(&reader, rank: source)
        case .failure:
            shared.fail("rank \(source), worker \(worker): \(try reader.readString())")
            if !synchronous { countOut(worker: worker, rank: source) }
        case .done:
            if worker < 0 {
                let fingerprint = try reader.read(UInt64.self), updates = Int(try reader.read(Int64.self))
                finalFingerprints.withLock { $0[source] = (fingerprint, updates) }
                synchronousRanksLeft -= 1
            } else {
                countOut(worker: worker, rank: source)
            }
        case .shutdown:
            remoteWorkersLeft = 0
            synchronousRanksLeft = 0
        }
    }

    /// Games and host restarts a rank reports: [count, (return, length)...], [count, (worker, restart, reason)...].
    private func readReports(_ reader: inout WireReader, rank: Int) throws {
        let episodes = Int(try reader.read(Int64.self))
        for _ in 0..<episodes {
            let worker = Int(try reader.read(Int32.self))
            let episodeReturn = try reader.read(Double.self)
            let length = Int(try reader.read(Int64.self))
            shared.finishEpisode(worker: worker, episodeReturn: episodeReturn, length: length)
        }
        let restarts = Int(try reader.read(Int64.self))
        for _ in 0..<restarts {
            let worker = Int(try reader.read(Int32.self))
            let restart = Int(try reader.read(Int64.self))
            shared.recordHostRestart(worker: worker, restart: restart, reason: "rank \(rank): " + (try reader.readString()))
        }
    }

    /// The parameters now, the step count, the statistics and whether to stop, to one worker.
    private func answer(worker: Int, rank: Int) throws {
        let stop = shared.shouldStop
        outgoing.reset()
        outgoing.append(UInt8(stop ? 1 : 0))
        outgoing.append(Int64(shared.steps.load(ordering: .relaxed)))
        if let normalizer = shared.normalizer { outgoing.append(normalizer.statistics) }
        if let returns = shared.returnNormalizer { outgoing.append(returns.statistics) }
        outgoing.append(shared.parameters.pointer, count: shared.parameters.count)
        let answer = answers[worker].flatMap { $0.reusable() ? $0 : nil } ?? Answer()
        answers[worker] = answer
        try answer.send(outgoing.bytes, to: rank, tag: worker)
        if stop { countOut(worker: worker, rank: rank) }
    }

    /// Answers still in flight when serving ends go to ranks that stopped listening: given up.
    private func abandonAnswers() {
        for answer in answers.values { answer.abandon() }
        answers.removeAll()
    }

    /// One answer's bytes, kept still while MPI sends them.
    /// Concurrency: used by the server thread alone.
    private final class Answer {
        private var storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        private var request: UnsafeMutableRawPointer?
        private var inFlight = false

        /// Whether the last send is done, checked without waiting.
        func poll() {
            guard inFlight else { return }
            do {
                if try MPI.test(&request) { inFlight = false }
            } catch {
                abandon()  // MPI may still read the bytes: they are kept, not reused
            }
        }

        /// Whether this buffer may take the next answer: the worker asks again only once it has
        /// the last one, so the send completes within moments; one that does not is given up.
        func reusable() -> Bool {
            for look in 0..<2_000 where inFlight {
                poll()
                if inFlight && look < 100 {
                    sched_yield()
                } else if inFlight {
                    usleep(500)
                }
            }
            if inFlight { abandon() }
            return !inFlight && storage.baseAddress != nil
        }

        func send(_ bytes: [UInt8], to rank: Int, tag: Int) throws {
            if storage.count < bytes.count {
                storage.deallocate()
                storage = .allocate(byteCount: bytes.count, alignment: 16)
            }
            let message = UnsafeMutableRawBufferPointer(rebasing: storage[0..<bytes.count])
            bytes.withUnsafeBytes { message.copyMemory(from: $0) }
            request = try MPI.startSend(UnsafeRawBufferPointer(message), to: rank, tag: tag)
            inFlight = true
        }

        /// Gives the send up; its bytes stay allocated, since MPI may still read them.
        func abandon() {
            guard inFlight else { return }
            MPI.forget(&request)
            inFlight = false
            storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        }

        deinit { if !inFlight { storage.deallocate() } }
    }

    private func countOut(worker: Int, rank: Int) {
        if countedOut[rank, default: []].insert(worker).inserted {
            remoteWorkersLeft -= 1
            if countedOut[rank]!.count == workersPerRank { heard.withLock { $0[rank] = .infinity } }
        }
    }

    // MARK: what synchronous (A2C) ranks > 0 send

    /// Sends rank 0 the games and host restarts `shared` (this rank's) recorded since the last report.
    static func report(from shared: SharedTraining, job: MPI.Job) {
        var writer = WireWriter()
        writer.appendHeader(.report, rank: job.rank, worker: -1)
        writer.appendReports(
            episodes: shared.tracker.drainPending().map { ($0.worker, $0.episodeReturn, $0.length) },
            restarts: shared.drainHostRestarts().map { ($0.worker, $0.restart, $0.reason) })
        try? writer.send(to: 0, tag: WireTag.server)
    }

    /// Tells rank 0 that a worker of this rank failed.
    static func reportFailure(worker: Int, message: String, job: MPI.Job) {
        var writer = WireWriter()
        writer.appendHeader(.failure, rank: job.rank, worker: worker)
        writer.append(message)
        try? writer.send(to: 0, tag: WireTag.server)
    }

    /// Tells rank 0 that this synchronous rank has stopped, with a fingerprint of its parameters
    /// and statistics and its update count, which rank 0 checks against its own.
    static func reportDone(job: MPI.Job, shared: SharedTraining) {
        var writer = WireWriter()
        writer.appendHeader(.done, rank: job.rank, worker: -1)
        writer.append(fingerprint(shared))
        writer.append(Int64(shared.updates.load(ordering: .relaxed)))
        try? writer.send(to: 0, tag: WireTag.server)
    }

    /// FNV-1a over the bytes of the parameters and of the running statistics: equal only when
    /// both are bit-identical (in practice).
    static func fingerprint(_ shared: SharedTraining) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func add(_ bytes: UnsafeRawBufferPointer) {
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        add(UnsafeRawBufferPointer(start: shared.parameters.pointer, count: shared.parameters.count * 4))
        for statistics in [shared.normalizer, shared.returnNormalizer].compactMap({ $0?.statistics }) {
            withUnsafeBytes(of: statistics.count) { add($0) }
            statistics.mean.withUnsafeBytes { add($0) }
            statistics.variance.withUnsafeBytes { add($0) }
        }
        return hash
    }

    /// Synchronous ranks whose parameters or statistics, when they stopped, differ from `shared`'s (rank 0's,
    /// once its workers have stopped): (rank, its updates).
    func ranksDiverged() -> [(rank: Int, updates: Int)] {
        let mine = Self.fingerprint(shared)
        return finalFingerprints.withLock { $0 }.filter { $0.value.fingerprint != mine }.map { ($0.key, $0.value.updates) }
            .sorted { $0.rank < $1.rank }
    }

    /// Ranks whose parameters rank 0 checked against its own at the end (A2C).
    var ranksChecked: Int { finalFingerprints.withLock { $0.count } }

    /// The A3C rank (> 0) with workers still expected and not heard from for longer than `seconds`,
    /// if any. (A2C ranks wait for each other in the collective, where they send nothing.)
    func rankSilent(longerThan seconds: Double) -> Int? {
        guard !synchronous else { return nil }
        let now = MPI.time
        return heard.withLock { times in (1..<times.count).first { times[$0].isFinite && now - times[$0] > seconds } }
    }
}
