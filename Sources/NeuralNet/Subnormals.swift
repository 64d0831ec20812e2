import CKernels

/// Per-thread floating-point mode for training threads.
public enum Subnormals {
    /// Subnormal inputs read as zero and subnormal results become zero on the calling thread. Adam's
    /// first moment of a parameter that gets no gradient (a dead unit) decays into the subnormal
    /// range; on Pong 45% of them were there, and the optimizer step took a quarter of all training
    /// time. Values that small change nothing in what is learned.
    public static func flushToZeroOnThisThread() { a3c_flush_subnormals_to_zero() }
}
