import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ArtifactError {
    /// One line for a failed file operation, e.g. "cannot write runs/x/metrics.csv: no space left
    /// on device", from whatever Foundation threw (its own texts name error domains and codes).
    public init(_ verb: String, _ url: URL, _ error: any Error) {
        self.init("cannot \(verb) \(url.path): \(Self.reason(error))")
    }

    /// The cause of a file error in plain words: the operating system's, where there is one.
    public static func reason(_ error: any Error) -> String {
        if let error = error as? ArtifactError { return error.description }
        var current: NSError? = error as NSError
        while let e = current {
            if e.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(e.code))).lowercased() }
            current = e.userInfo[NSUnderlyingErrorKey] as? NSError
        }
        let e = error as NSError
        guard e.domain == NSCocoaErrorDomain else { return e.localizedDescription }
        switch e.code {
        case NSFileWriteOutOfSpaceError: return "no space left on device"
        case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return "permission denied"
        case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file or directory"
        case NSFileWriteVolumeReadOnlyError: return "read-only file system"
        case NSFileWriteFileExistsError: return "a file of that name is in the way"
        default: return "the file system refused (\(e.localizedDescription))"
        }
    }
}
