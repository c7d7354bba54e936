import COpenBLAS

/// Raw-buffer entry points into BLAS for fused kernels in other modules (recurrent layers),
/// which run their own matrix products on preallocated buffers instead of through ``Tensor``.
///
/// All matrices are row-major; a leading dimension is the step in elements between rows.
public enum BLAS {
    /// C[M, N] = alpha · op(A)[M, K] · op(B)[K, N] + beta · C, where op transposes when asked.
    ///
    /// `a` is [M, K] (or [K, M] when `transposeA`) with row step `lda`; likewise `b` and `ldb`.
    /// With `beta: 1` the product accumulates into `c`, which gradient kernels rely on.
    public static func gemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            scale(c, rows: m, columns: n, ld: ldc, by: beta)
            return
        }
        if m == 1 && !transposeA {
            // A one-row product is a matrix-vector product; OpenBLAS's sgemm is several
            // times slower than its sgemv at this shape (batch-1 sampling).
            gemv(transpose: !transposeB, rows: transposeB ? n : k, columns: transposeB ? k : n, alpha: alpha,
                 a: b, lda: ldb, x: a, beta: beta, y: c)
            return
        }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y = alpha · op(A) · x + beta · y for A [rows, columns] with row step `lda`, where op
    /// transposes when asked; x and y are dense vectors.
    public static func gemv(transpose: Bool = false, rows: Int, columns: Int, alpha: Float = 1,
                            a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
                            beta: Float, y: UnsafeMutablePointer<Float>) {
        let outputs = transpose ? columns : rows
        if outputs == 0 { return }
        if (transpose ? rows : columns) == 0 {
            scale(y, rows: 1, columns: outputs, ld: outputs, by: beta)
            return
        }
        cblas_sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, Int32(rows), Int32(columns),
                    alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// Runs `body` with OpenBLAS limited to one thread, then restores ``Threads/count``.
    ///
    /// For kernels that split their own work across threads, each thread running small products:
    /// OpenBLAS's threads would otherwise compete with them for the cores. The limit is process-wide
    /// while `body` runs.
    public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(Int32(Threads.count)) }
        return try body()
    }

    /// Multiplies a [rows, columns] block by `factor`, writing exact zeros when it is 0 (as BLAS does for beta = 0).
    private static func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, ld: Int, by factor: Float) {
        for row in 0..<rows {
            let p = c + row * ld
            if factor == 0 {
                p.update(repeating: 0, count: columns)
            } else {
                for i in 0..<columns { p[i] *= factor }
            }
        }
    }
}
