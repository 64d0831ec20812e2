import Foundation
import SwiftProtobuf

/// Writes TensorBoard event files natively: TFRecord framing (length, masked CRC-32C of the length,
/// data, masked CRC-32C of the data) around protobuf `Event` messages holding scalar summaries.
/// TensorBoard reads every `events.out.tfevents.*` file in a run directory.
///
/// Not thread-safe: one writer, one thread (the trainer's monitor).
public final class TensorBoardWriter {
    /// The event file being written.
    public let url: URL
    private let handle: FileHandle

    /// Creates `events.out.tfevents.<seconds>.<host>` in `directory` and writes the version record.
    /// `restartingAt`: a resumed run's step. A session-start event just after it follows, which
    /// makes TensorBoard drop the events of older files past that step (what the killed run logged
    /// after its checkpoint), as metrics.csv's rows past it are cut.
    public init(directory: URL, restartingAt step: Int? = nil) throws {
        let now = Date().timeIntervalSince1970
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
        url = directory.appendingPathComponent("events.out.tfevents.\(Int(now)).\(host).\(getpid())")
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw ArtifactError("cannot create \(url.path)")
        }
        do {
            handle = try FileHandle(forWritingTo: url)
        } catch {
            throw ArtifactError("open", url, error)
        }
        var event = Tensorboard_Event()
        event.wallTime = now
        event.fileVersion = "brain.Event:2"
        try write(event)
        if let step {
            var start = Tensorboard_Event()
            start.wallTime = now
            // TensorBoard keeps the older events before the start's step: those at the checkpoint stay.
            start.step = Int64(step + 1)
            var log = Tensorboard_SessionLog()
            log.status = .start
            start.sessionLog = log
            try write(start)
        }
    }

    deinit { try? handle.close() }

    /// Writes scalars `tag -> value` for global step `step`, in one event.
    public func addScalars(_ scalars: [(tag: String, value: Double)], step: Int, wallTime: Double = Date().timeIntervalSince1970) throws {
        guard !scalars.isEmpty else { return }
        var event = Tensorboard_Event()
        event.wallTime = wallTime
        event.step = Int64(step)
        var summary = Tensorboard_Summary()
        summary.value = scalars.map { scalar in
            var value = Tensorboard_Summary.Value()
            value.tag = scalar.tag
            value.simpleValue = Float(scalar.value)
            return value
        }
        event.summary = summary
        try write(event)
    }

    /// Pushes written events to the disk.
    public func flush() throws { try handle.synchronize() }

    private func write(_ event: Tensorboard_Event) throws {
        let data: Data = try event.serializedBytes()
        var record = Data(capacity: data.count + 16)
        var length = UInt64(data.count).littleEndian
        let lengthBytes = withUnsafeBytes(of: &length) { Data($0) }
        record.append(lengthBytes)
        appendLittleEndian(CRC32C.masked(lengthBytes), to: &record)
        record.append(data)
        appendLittleEndian(CRC32C.masked(data), to: &record)
        do {
            try handle.write(contentsOf: record)
        } catch {
            throw ArtifactError("write", url, error)
        }
    }

    private func appendLittleEndian(_ value: UInt32, to data: inout Data) {
        var little = value.littleEndian
        withUnsafeBytes(of: &little) { data.append(contentsOf: $0) }
    }
}

/// A run artifact that cannot be read or written; the description is one line.
public struct ArtifactError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in one line.
    public let description: String
    /// An error with the one-line message `description`.
    public init(_ description: String) { self.description = description }
}
