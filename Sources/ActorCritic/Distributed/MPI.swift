import Atomics
import CMPI
import Environments
import Foundation

/// This process's place in an MPI job, and the few MPI calls distributed training makes. Open MPI is
/// loaded when a run is distributed, not before, so single-machine users need no MPI installed.
///
/// Thread-safe as far as MPI_THREAD_MULTIPLE is (`initialize` refuses a library without it).
public enum MPI {
    /// Rank and size of this process's job, once `initialize` has run.
    public struct Job: Sendable, Hashable {
        /// This process's rank (0 is the parameter server).
        public let rank: Int
        /// Ranks in the job.
        public let size: Int
    }

    /// The job this process was started in by `mpirun`, read from the environment Open MPI sets
    /// (nil outside mpirun): lets `a3c train` tell a distributed launch without asking MPI.
    public static var launchedSize: Int? {
        let environment = ProcessInfo.processInfo.environment
        return (environment["OMPI_COMM_WORLD_SIZE"] ?? environment["PMI_SIZE"]).flatMap(Int.init)
    }

    /// This process's rank as the launcher set it, before MPI starts; nil outside a job.
    public static var launchedRank: Int? {
        let environment = ProcessInfo.processInfo.environment
        return (environment["OMPI_COMM_WORLD_RANK"] ?? environment["PMI_RANK"]).flatMap(Int.init)
    }

    private static let job = Locked<Job?>(nil)

    /// A signal is ending this rank: errors from ranks already gone are expected, not reported.
    public static let terminating = ManagedAtomic<Bool>(false)

    /// Loads Open MPI and initialises it with MPI_THREAD_MULTIPLE (every worker thread talks to
    /// rank 0 on its own). Idempotent.
    public static func initialize() throws -> Job {
        if let job = job.withLock({ $0 }) { return job }
        var message = [CChar](repeating: 0, count: 512)
        guard a3c_mpi_load(&message, Int32(message.count)) == 0 else {
            throw DistributedError(
                "distributed training needs Open MPI: \(text(message)) (apt-get install openmpi-bin; scripts/setup.sh installs it)")
        }
        // Between machines (Open MPI's TCP transport) a message over 64 KB goes in a handshake whose
        // every step waits for the receiver to poll: the 2.6 MB round trips of an 800-800 network
        // ran at 42 a second between two network namespaces here, and at 80-145 sent eagerly
        // (benchmarks/distributed/window-vs-messages.txt). Each worker
        // has one message in flight, so rank 0 buffers at most one per remote worker. The
        // environment's own settings win (setenv does not overwrite).
        for name in ["OMPI_MCA_btl_tcp_eager_limit", "OMPI_MCA_btl_tcp_rndv_eager_limit", "OMPI_MCA_btl_tcp_max_send_size"] {
            setenv(name, "\(4 << 20)", 0)
        }
        var rank: Int32 = 0, size: Int32 = 0, level: Int32 = 0
        try check(a3c_mpi_init(&rank, &size, &level), "MPI_Init_thread")
        guard level >= 3 else {
            a3c_mpi_finalize()
            throw DistributedError("this Open MPI does not allow MPI calls from several threads (MPI_THREAD_MULTIPLE)")
        }
        let started = Job(rank: Int(rank), size: Int(size))
        job.withLock { $0 = started }
        return started
    }

    /// Ends MPI for this process (after the last message).
    public static func finalize() { _ = a3c_mpi_finalize() }

    /// Ends every rank of the job with `code`.
    public static func abort(code: Int32) -> Never {
        a3c_mpi_abort(code)
        exit(code)
    }

    /// Sends `bytes` to `rank` with `tag`.
    static func send(_ bytes: UnsafeRawBufferPointer, to rank: Int, tag: Int) throws {
        try check(a3c_mpi_send(bytes.baseAddress, bytes.count, Int32(rank), Int32(tag)), "MPI_Send to rank \(rank)")
    }

    /// Starts sending `bytes` to `rank` with `tag` without waiting (MPI_Isend): the bytes must stay
    /// as they are until `test` says the send is done. Returns the request.
    static func startSend(_ bytes: UnsafeRawBufferPointer, to rank: Int, tag: Int) throws -> UnsafeMutableRawPointer? {
        var request: UnsafeMutableRawPointer?
        try check(a3c_mpi_start_send(bytes.baseAddress, bytes.count, Int32(rank), Int32(tag), &request), "MPI_Isend to rank \(rank)")
        return request
    }

    /// Whether the send `request` has completed (MPI_Test; a completed request is released).
    static func test(_ request: inout UnsafeMutableRawPointer?) throws -> Bool {
        var done: Int32 = 0
        try check(a3c_mpi_test(&request, &done), "MPI_Test")
        return done != 0
    }

    /// Gives up waiting for the send `request` (MPI_Request_free): it may complete later, or never.
    static func forget(_ request: inout UnsafeMutableRawPointer?) { _ = a3c_mpi_forget(&request) }

    /// Receives the next message from `rank` (nil: any) with `tag` (nil: any) into `buffer`, grown
    /// as the message needs; returns its source, tag and size. `whileWaiting` runs between looks.
    static func receive(
        into buffer: inout [UInt8], from rank: Int?, tag: Int?, whileWaiting: (() -> Void)? = nil
    ) throws -> (source: Int, tag: Int, count: Int) {
        var source: Int32 = 0, foundTag: Int32 = 0, count = 0
        var message: UnsafeMutableRawPointer?
        // Polled with growing pauses rather than a blocking probe: Open MPI's blocking calls spin a
        // core, and ranks share cores with their workers and environments.
        var found: Int32 = 0, looks = 0
        while true {
            try check(
                a3c_mpi_try_probe(Int32(rank ?? -1), Int32(tag ?? -1), &message, &found, &source, &foundTag, &count),
                "waiting for a message from \(rank.map { "rank \($0)" } ?? "any rank")")
            if found != 0 { break }
            whileWaiting?()
            // A short wait is handed to other threads; a long one sleeps.
            looks += 1
            if looks < 200 { sched_yield() } else { usleep(looks < 1000 ? 20 : maximumPause) }
        }
        if buffer.count < count { buffer = [UInt8](repeating: 0, count: count) }
        let code = buffer.withUnsafeMutableBytes { a3c_mpi_receive(&message, $0.baseAddress, count) }
        try check(code, "receiving from rank \(source)")
        return (Int(source), Int(foundTag), count)
    }

    /// MPI_Reduce with MPI_SUM of `count` floats to `root`.
    static func reduceSum(_ send: UnsafePointer<Float>, into receive: UnsafeMutablePointer<Float>, count: Int, root: Int)
        throws
    {
        try check(a3c_mpi_reduce_sum_floats(send, receive, count, Int32(root)), "MPI_Reduce")
    }

    /// MPI_Reduce (sum) of `count` doubles to `root`.
    static func reduceSum(_ send: UnsafePointer<Double>, into receive: UnsafeMutablePointer<Double>, count: Int, root: Int)
        throws
    {
        try check(a3c_mpi_reduce_sum_doubles(send, receive, count, Int32(root)), "MPI_Reduce")
    }

    /// MPI_Bcast of `bytes` from `root`.
    static func broadcast(_ bytes: UnsafeMutableRawBufferPointer, root: Int) throws {
        try check(a3c_mpi_broadcast(bytes.baseAddress, bytes.count, Int32(root)), "MPI_Bcast")
    }

    /// Longest pause between two looks for a message (microseconds): the latency a waiting rank may add.
    static let maximumPause: UInt32 = 500

    /// Seconds on MPI's clock.
    static var time: Double { a3c_mpi_time() }

    /// The NUL-terminated text the C side wrote into `buffer`.
    private static func text(_ buffer: [CChar]) -> String { buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } }

    private static func check(_ code: Int32, _ what: @autoclosure () -> String) throws {
        guard code != 0 else { return }
        var message = [CChar](repeating: 0, count: 512)
        a3c_mpi_error_string(code, &message, Int32(message.count))
        throw DistributedError("\(what()): \(text(message))")
    }
}

/// Distributed training could not start or go on; one line.
public struct DistributedError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in one line.
    public let description: String
    /// An error with the one-line message `description`.
    public init(_ description: String) { self.description = description }
}
