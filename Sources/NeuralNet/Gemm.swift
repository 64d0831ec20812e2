#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBLAS
import CKernels

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
        if a3c_thread_precision() == 1 && min(m, n, k) >= Precision.bf16MinimumSide {
            a3c_omp_single_thread()
            if a3c_gemm_bf16(
                transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) == 0
            {
                return
            }
        }
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

/// What matrix products take as inputs. Accumulation, parameters, gradients and optimizer state
/// stay fp32 either way.
public enum Precision: String, Sendable, CaseIterable, Codable {
    /// fp32 inputs (every product as it always was).
    case fp32
    /// Inputs rounded to bf16 (nearest even), products accumulated in fp32, through oneDNN's
    /// matmul; skinny products (a side under `bf16MinimumSide`) stay fp32, where bf16 is no faster.
    case bf16

    /// Products with a side shorter than this stay fp32 under bf16 (acting on 8 rows was slower in
    /// bf16 than in fp32 here).
    public static let bf16MinimumSide = 16

    /// Whether this CPU has bf16 arithmetic (AVX512-BF16 or AMX-BF16).
    public static let bf16Available: Bool = a3c_cpu_has_bf16() != 0

    /// oneDNN's name for its bf16 kernels once a bf16 product has run ("brg:avx512_core_bf16"), else nil.
    public static var bf16Implementation: String? {
        let name = String(cString: a3c_bf16_implementation())
        return name.isEmpty ? nil : name
    }
}

extension Gemm {
    /// The calling thread's precision for every product it runs from now on (threads start fp32).
    public static func setPrecisionOnThisThread(_ precision: Precision) {
        a3c_set_thread_precision(precision == .bf16 ? 1 : 0)
    }

    /// The calling thread's precision.
    public static var precisionOnThisThread: Precision { a3c_thread_precision() == 1 ? .bf16 : .fp32 }

    /// Runs `body` with `precision` on this thread, then restores the one before (synchronous, so
    /// no other task runs on the thread meanwhile).
    public static func withPrecision<T>(_ precision: Precision, _ body: () throws -> T) rethrows -> T {
        let before = precisionOnThisThread
        setPrecisionOnThisThread(precision)
        defer { setPrecisionOnThisThread(before) }
        return try body()
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
