import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One Python process hosting one Gymnasium environment (python/a3c_env_host.py): fixed-size binary
/// requests and replies over its standard input and output, observations through POSIX shared
/// memory. A host that dies or stops answering is an error (`BridgeError`), never a hang: every
/// reply is awaited with a timeout, and `close` kills what does not quit.
///
/// Not thread-safe: one worker owns it.
public final class GymnasiumHost {
    /// What the host said about its environment.
    public struct Description: Decodable, Sendable {
        public let observation_shape: [Int]
        public let observation_dtype: String
        public let actions: Int
        public let action_meanings: [String]
        public let frame_shape: [Int]?
        public let shared_bytes: Int
        public let observation_bytes: Int
        public let needs_fire: Bool
        public let max_episode_steps: Int?
    }

    /// One reply.
    public struct Reply: Sendable {
        public var reward: Double
        public var lives: Int
        public var terminated: Bool
        public var truncated: Bool
        public var gameOver: Bool
        public var frameNumber: Int
    }

    public let id: String
    public let description: Description
    /// The observation bytes the host writes (then the colour frame, if any).
    public let shared: UnsafeMutableRawPointer
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

    /// Starts the host for `id` and maps its shared memory.
    public init(id: String, mode: String, options: [String: Any] = [:], timeout: Double? = nil) throws {
        self.id = id
        let configured = timeout ?? Double(ProcessInfo.processInfo.environment["A3C_HOST_TIMEOUT"] ?? "") ?? 60
        self.timeout = configured.isFinite && configured > 0 ? min(configured, 86_400) : 60
        // A host that dies makes our next write fail: that must be an error (EPIPE), not SIGPIPE.
        _ = Self.ignoreBrokenPipes
        var config = options
        config["id"] = id
        config["mode"] = mode
        let json = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)

        let process = Process()
        self.process = process
        process.executableURL = URL(fileURLWithPath: BridgeLocation.python)
        process.arguments = ["-u", BridgeLocation.hostScript, json]
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
            throw BridgeError("\(id): cannot start the Gymnasium host (\(BridgeLocation.python)); run scripts/setup.sh")
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
                let hint = message.contains("ModuleNotFoundError") ? " (run scripts/setup.sh to fill .venv)" : ""
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

    private static let spawnLock = Mutex(())
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Resets the environment (seed nil: continue its random stream).
    public func reset(seed: UInt64?) throws -> Reply { try request(UInt8(ascii: "R"), action: 0, seed: seed ?? UInt64.max) }

    /// Steps with `action`.
    public func step(_ action: Int) throws -> Reply { try request(UInt8(ascii: "S"), action: Int32(action), seed: 0) }

    /// Writes the colour picture after the observation in shared memory.
    public func renderFrame() throws { _ = try request(UInt8(ascii: "F"), action: 0, seed: 0) }

    /// A copy of the [height, width, 3] bytes at `offset` in shared memory as a frame.
    public func sharedFrame(at offset: Int, shape: [Int]) -> RGBFrame {
        let bytes = shared.advanced(by: offset).assumingMemoryBound(to: UInt8.self)
        return RGBFrame(width: shape[1], height: shape[0], pixels: Array(UnsafeBufferPointer(start: bytes, count: shape.reduce(1, *))))
    }

    private func request(_ command: UInt8, action: Int32, seed: UInt64) throws -> Reply {
        guard !closed else { throw BridgeError("\(id): the environment host is closed") }
        var message = [UInt8](repeating: 0, count: 16)
        message[0] = command
        withUnsafeBytes(of: action.littleEndian) { for i in 0..<4 { message[4 + i] = $0[i] } }
        withUnsafeBytes(of: seed.littleEndian) { for i in 0..<8 { message[8 + i] = $0[i] } }
        try Self.writeAll(fd: requestFD, message, id: id, process: process)
        var reply = [UInt8](repeating: 0, count: 24)
        try Self.readExactly(fd: replyFD, into: &reply, timeout: timeout, id: id, process: process)
        let reward = reply.withUnsafeBytes { Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self))) }
        let lives = reply.withUnsafeBytes { Int(Int32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: Int32.self))) }
        let frame = reply.withUnsafeBytes { Int(Int64(littleEndian: $0.loadUnaligned(fromByteOffset: 16, as: Int64.self))) }
        if reply[15] != 0 {
            var lengthBytes = [UInt8](repeating: 0, count: 4)
            try Self.readExactly(fd: replyFD, into: &lengthBytes, timeout: timeout, id: id, process: process)
            let length = lengthBytes.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
            var text = [UInt8](repeating: 0, count: min(length, 1 << 16))
            try Self.readExactly(fd: replyFD, into: &text, timeout: timeout, id: id, process: process)
            throw BridgeError("\(id): \(String(decoding: text, as: UTF8.self).split(separator: "\n").first ?? "error in the environment")")
        }
        return Reply(
            reward: reward, lives: lives, terminated: reply[12] != 0, truncated: reply[13] != 0, gameOver: reply[14] != 0,
            frameNumber: frame)
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

    private static func readExactly(fd: Int32, into buffer: inout [UInt8], timeout: Double, id: String, process: Process) throws {
        var offset = 0
        while offset < buffer.count {
            try waitReadable(fd: fd, timeout: timeout, id: id, process: process)
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw died(id: id, process: process) }
            offset += n
        }
    }

    private static func readLine(fd: Int32, timeout: Double, id: String, process: Process) throws -> String {
        var bytes: [UInt8] = []
        var byte = [UInt8](repeating: 0, count: 1)
        while true {
            try readExactly(fd: fd, into: &byte, timeout: timeout, id: id, process: process)
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
                throw BridgeError("\(id): the environment host did not answer within \(formatSeconds(timeout)) s and was stopped")
            }
            throw died(id: id, process: process)
        }
    }

    private static func died(id: String, process: Process?) -> BridgeError {
        guard let process else { return BridgeError("\(id): the environment host is gone") }
        let deadline = Date().addingTimeInterval(1)
        while process.isRunning && Date() < deadline { usleep(2000) }
        if process.isRunning { return BridgeError("\(id): the environment host stopped answering") }
        let how = process.terminationReason == .uncaughtSignal
            ? "was killed by signal \(process.terminationStatus)" : "exited with status \(process.terminationStatus)"
        return BridgeError("\(id): the environment host process \(how)")
    }

    private static func formatSeconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// The Gymnasium bridge failed: the host could not start, died, hung, or the environment raised.
public struct BridgeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
