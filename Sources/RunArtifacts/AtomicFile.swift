import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file writes that readers never see half done: a temporary file in the same directory,
/// fsync, rename over the target, fsync of the directory.
public enum AtomicFile {
    /// Replaces (or creates) `url` with `data`.
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ArtifactError("cannot write \(url.path): \(errnoMessage())") }
        var ok = false
        defer {
            if !ok { unlink(temporary.path) }
        }
        let written = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        guard written, fsync(descriptor) == 0 else {
            let message = errnoMessage()
            close(descriptor)
            throw ArtifactError("cannot write \(url.path): \(message)")
        }
        close(descriptor)
        guard rename(temporary.path, url.path) == 0 else {
            throw ArtifactError("cannot write \(url.path): \(errnoMessage())")
        }
        ok = true
        let directoryDescriptor = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    private static func errnoMessage() -> String { String(cString: strerror(errno)) }
}
