#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBLAS

/// Which library multiplies matrices. Both come from Debian; `a3c bench` measures them side by side.
public enum GemmBackend: String, Sendable, CaseIterable {
    /// oneDNN's `dnnl_sgemm`: picks AVX-512 kernels at run time; fastest on every shape measured here.
    case oneDNN = "onednn"
    /// OpenBLAS 0.3.21: falls back to Haswell kernels on Zen 5 unless OPENBLAS_CORETYPE is set.
    case openBLAS = "openblas"
}

/// Single-precision matrix products, row-major: C = alpha * op(A) * op(B) + beta * C,
/// with op(A) of shape [m, k] and op(B) of shape [k, n].
public enum Gemm {
    /// The backend in use; set once before any worker starts (`A3C_GEMM=openblas|onednn` picks it).
    nonisolated(unsafe) public static var backend: GemmBackend = {
        if let name = getenvString("A3C_GEMM"), let chosen = GemmBackend(rawValue: name.lowercased()) {
            return chosen
        }
        return .oneDNN
    }()

    /// A backend for the calling task only (tests compare backends while other tests train on the
    /// global one); worker threads are not tasks and always see nil.
    @TaskLocal public static var taskBackend: GemmBackend?

    /// Called once per process: one BLAS thread per worker thread (workers are the parallelism).
    public static let configureOnce: Void = {
        openblas_set_num_threads(1)
    }()

    /// `C = alpha * op(A) * op(B) + beta * C` on the current backend, single-threaded.
    @inlinable
    public static func multiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        switch taskBackend ?? backend {
        case .oneDNN:
            a3c_omp_single_thread()
            _ = dnnl_sgemm(
                transposeA ? 84 : 78, transposeB ? 84 : 78,  // "T" or "N"
                Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
        case .openBLAS:
            _ = configureOnce
            cblas_sgemm(
                CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }
}

@usableFromInline
func getenvString(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
}

extension Gemm {
    /// The library and kernels behind `backend`, e.g. "oneDNN 2.6.3" or "OpenBLAS 0.3.21 (Haswell kernels)".
    public static func describe(_ backend: GemmBackend) -> String {
        switch backend {
        case .oneDNN:
            guard let version = dnnl_version()?.pointee else { return "oneDNN" }
            return "oneDNN \(version.major).\(version.minor).\(version.patch)"
        case .openBLAS:
            let config = openblas_get_config().map { String(cString: $0) } ?? "OpenBLAS"
            let core = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
            let version = config.split(separator: " ").prefix(2).joined(separator: " ")
            return "\(version) (\(core) kernels)"
        }
    }
}
