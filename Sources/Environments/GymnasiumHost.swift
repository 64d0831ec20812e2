import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One Python process hosting `count` copies of one Gymnasium environment (python/a3c_env_host.py),
/// stepped together: one fixed-size binary request (every environment's action or seed) and one
/// fixed-size reply (a record per environment) over its standard input and output per call, and
/// observations through one block of POSIX shared memory (a slot per environment, a final slot per
/// environment for autoreset, a colour picture). A host that dies or stops answering is an error
/// (`BridgeError`), never a hang: every reply is awaited with a timeout, and `close` kills what does
/// not quit.
///
/// Not thread-safe: one worker owns it.
public final class GymnasiumHost {
    /// What the host said about its environments.
    public struct Description: Decodable, Sendable {
        /// Shape of one observation as the environment produces it, e.g. [210, 160, 1] for an Atari frame.
        public let observation_shape: [Int]
        /// Element type of observations: "uint8" (pictures) or "float32".
        public let observation_dtype: String
        /// Number of discrete actions, or of a Box action space's dimensions.
        public let actions: Int
        /// A Box action space's bounds (nil for discrete actions).
        public let action_low: [Float]?
        /// A Box action space's upper bounds (nil for discrete actions).
        public let action_high: [Float]?
        /// Where in shared memory continuous actions go: a float32 row per environment.
        public let action_offset: Int?
        /// A name for each action (its index as text when the environment names none).
        public let action_meanings: [String]
        /// Shape [height, width, 3] of the colour picture the host can render, or nil if it cannot.
        public let frame_shape: [Int]?
        /// Size of the shared memory block: every observation slot, every final slot and the picture.
        public let shared_bytes: Int
        /// Bytes of one observation slot.
        public let observation_bytes: Int
        /// The game needs FIRE to start (Atari with fire reset); always false for other environments.
        public let needs_fire: Bool
        /// Gymnasium's registered time limit for the id, if any (nil for Atari).
        public let max_episode_steps: Int?
        /// Gymnasium's registered `reward_threshold` (absent for Atari).
        public let reward_threshold: Double?
        /// The native host's name and ALE version (absent from the Python host).
        public let host: String?
    }

    /// One environment's part of a reply.
    public struct Reply: Sendable {
        /// The step's reward (unclipped).
        public var reward: Double = 0
        /// Points the host's autoreset scored after this step (a continuation after a lost life):
        /// they belong to the game's next step.
        public var pointsAfter: Double = 0
        /// Lives left in the game, as the environment reports them (0 when it has none).
        public var lives = 0
        /// The training episode ended in a terminal state (for Atari with episodic life, a lost life).
        public var terminated = false
        /// The episode was cut short from outside (a time limit), not ended in a terminal state.
        public var truncated = false
        /// The whole game is over, not just a life.
        public var gameOver = false
        /// The episode ended and the host started the next one: the environment's observation slot
        /// holds the new episode's first observation, its final slot the ended episode's last.
        public var restarted = false
        /// The environment's episode frame number after the request (after autoreset, if any).
        public var frameNumber = 0
    }

    /// The Gymnasium id the host runs.
    public let id: String
    /// Number of environments.
    public let count: Int
    /// What the host reported about its environments when it started.
    public let description: Description
    /// The shared memory: `count` observation slots, `count` final slots, the colour picture.
    public let shared: UnsafeMutableRawPointer
    /// The replies to the last request, one per environment.
    public private(set) var replies: [Reply]
    private var requestBytes: [UInt8]
    private var replyBytes: [UInt8]
    private let sharedBytes: Int
    private let process: Process
    private let requestFD: Int32
    private let replyFD: Int32
    private let requestPipe: Pipe
    private let replyPipe: Pipe
    private var closed = false
    /// Seconds to wait for any reply before declaring the host hung.
    public let timeout: Double

    /// The host's process id (for tests that kill it).
    public var processIdentifier: Int32 { process.processIdentifier }

    /// The program a host runs.
    public enum Program: Sendable, Equatable {
        /// python/a3c_env_host.py in the bridge's interpreter (`BridgeLocation`).
        case python
        /// The native Atari host at this path (native/ale-host): same protocol, ALE in C++.
        case nativeAtari(String)
    }

    /// The program this host runs.
    public let program: Program

    /// In a few words, what steps the environments: "Python (Gymnasium)" or "native ALE 0.12.1".
    public var programDescription: String {
        switch program {
        case .python: "Python (Gymnasium)"
        case .nativeAtari: description.host ?? "native ALE"
        }
    }

    /// Starts the host for `count` environments `id` and maps its shared memory.
    public init(
        id: String, mode: String, count: Int = 1, options: [String: Any] = [:], timeout: Double? = nil, program: Program = .python
    ) throws {
        precondition(count >= 1, "a host needs at least one environment")
        self.id = id
        self.count = count
        replies = [Reply](repeating: Reply(), count: count)
        requestBytes = [UInt8](repeating: 0, count: 8 + 8 * count)
        replyBytes = [UInt8](repeating: 0, count: 8 + Self.recordBytes * count)
        let configured = timeout ?? Double(ProcessInfo.processInfo.environment["A3C_HOST_TIMEOUT"] ?? "") ?? 60
        self.timeout = configured.isFinite && configured > 0 ? min(configured, 86_400) : 60
        // A host that dies makes our next write fail: that must be an error (EPIPE), not SIGPIPE.
        _ = Self.ignoreBrokenPipes
        var config = options
        config["id"] = id
        config["mode"] = mode
        config["count"] = count
        let json = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)

        self.program = program
        let process = Process()
        self.process = process
        switch program {
        case .python:
            if let missing = BridgeLocation.missingPart { throw BridgeError("\(id): \(missing)") }
            process.executableURL = URL(fileURLWithPath: BridgeLocation.python)
            process.arguments = ["-u", BridgeLocation.hostScript, json]
        case .nativeAtari(let path):
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = [json]
        }
        var environment = ProcessInfo.processInfo.environment
        environment["OMP_NUM_THREADS"] = "1"
        environment["PYTHONUNBUFFERED"] = "1"
        process.environment = environment
        // One spawn at a time: pipes made by one worker must not leak into a host another worker is
        // starting, or that host's death would go unnoticed until the timeout.
        let (requests, replies, started) = Self.spawnLock.withLock { _ -> (Pipe, Pipe, Bool) in
            let requests = Pipe(), replies = Pipe()
            process.standardInput = requests
            process.standardOutput = replies
            process.standardError = FileHandle.standardError
            return (requests, replies, (try? process.run()) != nil)
        }
        requestPipe = requests
        replyPipe = replies
        guard started else {
            let executable = process.executableURL?.path ?? "?"
            throw BridgeError("\(id): cannot start the environment host (\(executable)); run scripts/install.sh or scripts/setup.sh")
        }
        requestFD = requestPipe.fileHandleForWriting.fileDescriptor
        replyFD = replyPipe.fileHandleForReading.fileDescriptor

        // Handshake: the host describes the environment, we hand it shared memory of that size.
        var mapped: UnsafeMutableRawPointer?
        var bytes = 0
        do {
            let line = try Self.readLine(fd: replyFD, timeout: max(self.timeout, 120), id: id, process: process)
            guard let data = line.data(using: .utf8),
                let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { throw BridgeError("\(id): the Gymnasium host sent an unreadable greeting") }
            guard object["ok"] as? Bool == true else {
                let message = object["error"] as? String ?? "the Gymnasium host failed"
                let hint = message.contains("ModuleNotFoundError")
                    ? " (\(BridgeLocation.python) lacks it: run scripts/install.sh or scripts/setup.sh, or point A3C_PYTHON at a Python that has it)" : ""
                throw BridgeError("\(id): \(message)\(hint)")
            }
            let description = try JSONDecoder().decode(Description.self, from: data)
            bytes = max(description.shared_bytes, 1)
            let name = "/a3c-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0o600)
            guard fd >= 0 else { throw BridgeError("\(id): cannot create shared memory: \(String(cString: strerror(errno)))") }
            defer {
                Glibc.close(fd)
                shm_unlink(name)  // both sides have it mapped by then (or we failed): no name left in /dev/shm
            }
            guard ftruncate(fd, off_t(bytes)) == 0,
                let pointer = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), pointer != MAP_FAILED
            else { throw BridgeError("\(id): cannot map \(bytes) bytes of shared memory") }
            mapped = pointer
            try Self.writeAll(fd: requestFD, Array((name + "\n").utf8), id: id)
            let confirmation = try Self.readLine(fd: replyFD, timeout: self.timeout, id: id, process: process)
            guard confirmation.contains("mapped") else { throw BridgeError("\(id): the Gymnasium host could not map shared memory") }
            self.description = description
        } catch {
            if let mapped { munmap(mapped, bytes) }
            Self.stop(process, requestPipe: requestPipe, replyPipe: replyPipe)
            throw error
        }
        shared = mapped!
        sharedBytes = bytes
    }

    deinit { close() }

    private static let spawnLock = Locked(())
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    private static let recordBytes = 32

    /// Steps environment `i` with `actions[i]`; with `autoreset`, environments whose episode ended
    /// start the next one in the same request (see `Reply.restarted`).
    public func step(_ actions: UnsafePointer<Int32>, autoreset: Bool) throws {
        try request(UInt8(ascii: "S"), argument: autoreset ? 1 : 0) { UInt64(UInt32(bitPattern: actions[$0])) }
    }

    /// Steps environment `i` with the `description.actions` Floats at `actions + i * description.actions`,
    /// written to shared memory first (a Box action space only).
    public func step(continuous actions: UnsafePointer<Float>, autoreset: Bool) throws {
        guard let offset = description.action_offset, description.action_low != nil else {
            preconditionFailure("\(id) has discrete actions")
        }
        (shared + offset).assumingMemoryBound(to: Float.self).update(from: actions, count: count * description.actions)
        try request(UInt8(ascii: "S"), argument: autoreset ? 1 : 0) { _ in 0 }
    }

    /// Starts a new game in every environment, environment `i` seeded with `seeds[i]` (nil: continue
    /// its random stream).
    public func reset(seeds: (Int) -> UInt64?) throws {
        try request(UInt8(ascii: "R"), argument: 0) { seeds($0) ?? UInt64.max }
    }

    /// Starts the next episode of every environment after one ended (what autoreset does).
    public func restart() throws { try request(UInt8(ascii: "C"), argument: 0) { _ in 0 } }

    /// Writes environment `index`'s colour picture after the final slots in shared memory.
    public func renderFrame(_ index: Int = 0) throws { try request(UInt8(ascii: "F"), argument: Int32(index)) { _ in 0 } }

    /// Environment `i`'s observation slot.
    @inline(__always) public func observation(_ i: Int) -> UnsafeMutableRawPointer {
        shared + i * description.observation_bytes
    }

    /// Environment `i`'s final slot: the last observation of the episode that autoreset replaced.
    @inline(__always) public func finalObservation(_ i: Int) -> UnsafeMutableRawPointer {
        shared + (count + i) * description.observation_bytes
    }

    /// A copy of the colour picture `renderFrame` wrote.
    public func sharedFrame() -> RGBFrame? {
        guard let shape = description.frame_shape, shape.count == 3 else { return nil }
        return sharedFrame(at: 2 * count * description.observation_bytes, shape: shape)
    }

    /// A copy of the [height, width, 3] bytes at `offset` in shared memory as a frame.
    public func sharedFrame(at offset: Int, shape: [Int]) -> RGBFrame {
        let bytes = shared.advanced(by: offset).assumingMemoryBound(to: UInt8.self)
        return RGBFrame(width: shape[1], height: shape[0], pixels: Array(UnsafeBufferPointer(start: bytes, count: shape.reduce(1, *))))
    }

    /// One round trip: the command, `argument` and a value per environment out; a record per
    /// environment (or an error message) back. Reuses its buffers: nothing is allocated.
    private func request(_ command: UInt8, argument: Int32, value: (Int) -> UInt64) throws {
        guard !closed else { throw BridgeError("\(id): the environment host is closed") }
        requestBytes.withUnsafeMutableBytes { out in
            out.storeBytes(of: UInt32(command).littleEndian, toByteOffset: 0, as: UInt32.self)  // command and 3 zero pad bytes
            out.storeBytes(of: argument.littleEndian, toByteOffset: 4, as: Int32.self)
            for i in 0..<count { out.storeBytes(of: value(i).littleEndian, toByteOffset: 8 + 8 * i, as: UInt64.self) }
        }
        try Self.writeAll(fd: requestFD, requestBytes, id: id, process: process)
        try Self.readExactly(fd: replyFD, into: &replyBytes, count: 8, timeout: timeout, id: id, process: process)
        if replyBytes[0] != 0 {
            let length = replyBytes.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self))) }
            var text = [UInt8](repeating: 0, count: min(length, 1 << 16))
            try Self.readExactly(fd: replyFD, into: &text, count: text.count, timeout: timeout, id: id, process: process)
            throw BridgeError("\(id): \(String(decoding: text, as: UTF8.self).split(separator: "\n").first ?? "error in the environment")")
        }
        try Self.readExactly(fd: replyFD, into: &replyBytes, from: 8, count: replyBytes.count - 8, timeout: timeout, id: id, process: process)
        replyBytes.withUnsafeBytes { bytes in
            for i in 0..<count {
                let at = 8 + i * Self.recordBytes
                replies[i] = Reply(
                    reward: Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))),
                    pointsAfter: Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self))),
                    lives: Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 16, as: Int32.self))),
                    terminated: bytes[at + 20] != 0, truncated: bytes[at + 21] != 0, gameOver: bytes[at + 22] != 0,
                    restarted: bytes[at + 23] != 0,
                    frameNumber: Int(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 24, as: Int64.self))))
            }
        }
    }

    /// Asks the host to quit, and kills it if it does not within a second. Idempotent.
    public func close() {
        guard !closed else { return }
        closed = true
        munmap(shared, sharedBytes)
        Self.stop(process, requestPipe: requestPipe, replyPipe: replyPipe)
    }

    private static func stop(_ process: Process, requestPipe: Pipe, replyPipe: Pipe) {
        // Closing its standard input makes the host exit on its own.
        try? requestPipe.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(1)
        while process.isRunning && Date() < deadline { usleep(5000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        try? replyPipe.fileHandleForReading.close()
    }

    // MARK: raw I/O with time limits

    private static func writeAll(fd: Int32, _ bytes: [UInt8], id: String, process: Process? = nil) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw died(id: id, process: process)
            }
            offset += n
        }
    }

    /// Reads `count` bytes into `buffer` from index `start`.
    private static func readExactly(
        fd: Int32, into buffer: inout [UInt8], from start: Int = 0, count: Int, timeout: Double, id: String, process: Process
    ) throws {
        var offset = start
        let end = start + count
        while offset < end {
            try waitReadable(fd: fd, timeout: timeout, id: id, process: process)
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, end - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw died(id: id, process: process) }
            offset += n
        }
    }

    private static func readLine(fd: Int32, timeout: Double, id: String, process: Process) throws -> String {
        var bytes: [UInt8] = []
        var byte = [UInt8](repeating: 0, count: 1)
        while true {
            try readExactly(fd: fd, into: &byte, count: 1, timeout: timeout, id: id, process: process)
            if byte[0] == 0x0A { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte[0])
            if bytes.count > 1 << 20 { throw BridgeError("\(id): the Gymnasium host sent an overlong line") }
        }
    }

    private static func waitReadable(fd: Int32, timeout: Double, id: String, process: Process) throws {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&descriptor, 1, Int32(min(timeout * 1000, Double(Int32.max))))
            if ready > 0 { return }
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 {
                kill(process.processIdentifier, SIGKILL)
                throw BridgeError("\(id): the environment host did not answer within \(formatSeconds(timeout)) s and was stopped", hostLost: true)
            }
            throw died(id: id, process: process)
        }
    }

    private static func died(id: String, process: Process?) -> BridgeError {
        guard let process else { return BridgeError("\(id): the environment host is gone", hostLost: true) }
        let deadline = Date().addingTimeInterval(1)
        while process.isRunning && Date() < deadline { usleep(2000) }
        if process.isRunning { return BridgeError("\(id): the environment host stopped answering", hostLost: true) }
        let how = process.terminationReason == .uncaughtSignal
            ? "was killed by signal \(process.terminationStatus)" : "exited with status \(process.terminationStatus)"
        return BridgeError("\(id): the environment host process \(how)", hostLost: true)
    }

    private static func formatSeconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// The Gymnasium bridge failed: the host could not start, died, hung, or the environment raised.
public struct BridgeError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in one line.
    public let description: String
    /// The host process died or stopped answering (a fresh one may well do better), as opposed to
    /// an environment that raised or a host that could not start.
    public let hostLost: Bool
    /// An error with message `description`; `hostLost` when the host process died or stopped answering.
    public init(_ description: String, hostLost: Bool = false) {
        self.description = description
        self.hostLost = hostLost
    }
}
