#if canImport(Glibc)
import Glibc
#endif
import CKernels

/// How unpadded convolutions run: oneDNN's primitives on CPUs with AVX-512, where they were measured
/// faster (benchmarks/RESULTS.md), ours elsewhere. `A3C_CONV=blocks|onednn` picks one for a process.
public enum ConvolutionBackend: String, Sendable, CaseIterable {
    /// Ours: four matrix products over stride x stride blocks where kernel = 2 x stride fits the
    /// input (`SpaceToDepthConvKernel`), im2col and one product otherwise.
    case blocks
    /// oneDNN's convolution primitives (`OneDNNConvKernel`), in bf16 on a thread whose precision
    /// is bf16 (`Gemm.setPrecisionOnThisThread`); padded convolutions stay with `blocks`.
    case oneDNN = "onednn"

    /// The process's backend; set before networks are built.
    nonisolated(unsafe) public static var current: ConvolutionBackend = {
        if let name = getenvString("A3C_CONV"), let chosen = ConvolutionBackend(rawValue: name.lowercased()) {
            return chosen
        }
        return String(cString: a3c_kernels_isa()) == "avx512" ? .oneDNN : .blocks
    }()

    /// A backend for networks built by the calling task only (tests compare backends).
    @TaskLocal public static var taskBackend: ConvolutionBackend?

    /// oneDNN's rows per primitive call, and whether it reads rows folded (`a3c_conv_create`), for
    /// networks built by the calling task (tests split small batches); nil: the process's.
    @TaskLocal public static var taskGroupRows: Int?
    @TaskLocal public static var taskFold: Bool?

    /// The backend a network built now on this task gets.
    public static var inEffect: ConvolutionBackend { taskBackend ?? current }

    /// "onednn (brgconv:avx512_core)": the backend, and for oneDNN the forward implementation it
    /// picks for the A3C paper network's first convolution on this CPU.
    public var summary: String {
        guard self == .oneDNN else { return rawValue }
        let probe = OneDNNConvKernel(input: Shape(84, 84, 4), filters: 16, kernel: 8, stride: 4, maxBatch: 1)
        return "\(rawValue) (\(probe?.implementation ?? "unavailable"))"
    }
}

/// A convolution through oneDNN's convolution primitives (`a3c_conv_*` in CKernels): NHWC rows in
/// and out, the network's weight layout; fp32, or bf16 inputs with fp32 accumulation when the
/// thread's precision is bf16. The C side keeps what the backward pass needs from the forward passes.
final class OneDNNConvKernel: LayerKernel {
    private let handle: OpaquePointer
    /// Floats of weight before the bias in the layer's parameters.
    private let weightCount: Int

    /// oneDNN's name for the implementation it chose.
    var implementation: String { String(cString: a3c_conv_implementation(handle)) }

    /// nil when oneDNN cannot run this convolution here (then the caller keeps its own kernels).
    init?(input: Shape, filters: Int, kernel: Int, stride: Int, maxBatch: Int) {
        guard input.dimensions.count == 3,
            let handle = a3c_conv_create(
                input.dimensions[0], input.dimensions[1], input.dimensions[2], filters, kernel, stride, maxBatch,
                ConvolutionBackend.taskGroupRows ?? -1, ConvolutionBackend.taskFold.map { $0 ? 1 : 0 } ?? -1)
        else { return nil }
        self.handle = handle
        weightCount = filters * kernel * kernel * input.dimensions[2]
    }

    deinit { a3c_conv_destroy(handle) }

    func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        first: Int, count: Int, parameters: UnsafePointer<Float>
    ) {
        let status = a3c_conv_forward(handle, first, count, input, parameters, parameters + weightCount, output)
        precondition(status == 0, "oneDNN's convolution failed on \(count) rows")
    }

    func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>,
        outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
        count: Int, parameters: UnsafePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>
    ) {
        let status = a3c_conv_backward(
            handle, count, input, outputGradient, parameters, parameterGradient, parameterGradient + weightCount, inputGradient)
        precondition(status == 0, "oneDNN's convolution gradient failed on \(count) rows")
    }
}
