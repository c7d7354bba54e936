import COpenBLAS

/// A tensor's last two axes as a BLAS matrix: where it starts, whether BLAS must read it
/// transposed, and its leading dimension. Transposed views go to BLAS as a flag, never copied.
struct MatrixOperand {
    let tensor: Tensor
    let base: UnsafeMutablePointer<Float>
    let transposed: Bool
    let leadingDimension: Int
    let rows: Int, columns: Int
    /// The step between matrices along each leading (batch) axis.
    let batchStrides: [Int]

    init(_ tensor: Tensor) {
        precondition(tensor.rank >= 2, "matmul needs at least 2 axes, got shape \(tensor.shape)")
        var t = tensor
        let r = t.rank
        let rows = t.shape[r - 2], cols = t.shape[r - 1]
        func layout(_ t: Tensor) -> (Bool, Int)? {
            let rs = t.strides[r - 2], cs = t.strides[r - 1]
            if cs == 1 || cols == 1, rs >= max(cols, 1) || rows == 1 { return (false, max(rows == 1 ? cols : rs, 1)) }
            if rs == 1 || rows == 1, cs >= max(rows, 1) || cols == 1 { return (true, max(cols == 1 ? rows : cs, 1)) }
            return nil
        }
        var found = layout(t)
        if found == nil {
            t = t.contiguousNoGrad()
            found = layout(t)
        }
        self.tensor = t
        self.base = t.storage.pointer + t.offset
        (self.transposed, self.leadingDimension) = found!
        self.rows = rows
        self.columns = cols
        self.batchStrides = Array(t.strides.dropLast(2))
    }
}

/// C[M, N] = alpha · op(A)[M, K] · op(B)[K, N] + beta · C, row-major, through `cblas_sgemm`.
@inline(__always)
func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
          a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
          beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

extension Tensor {
    /// Matrix product over the last two axes, [..., M, K] · [..., K, N] → [..., M, N].
    ///
    /// Leading axes broadcast. A transposed or permuted operand is passed to BLAS as a
    /// transpose flag, not copied. A contiguous [..., M, K] times a matrix [K, N] runs as one
    /// [(...·M), K] · [K, N] product.
    public func matmul(_ other: Tensor) -> Tensor {
        if other.rank == 2 && rank > 2 && isContiguous {
            let k = shape[rank - 1]
            let flat = Tensor(storage: storage, shape: [count / Swift.max(k, 1), k], offset: offset)
            let outShape = Array(shape.dropLast()) + [other.shape[1]]
            let product = withoutGradients { flat.matmul(other) }
            let out = Tensor(storage: product.storage, shape: outShape)
            if Tape.needsRecord(self, other) {
                Tape.record(out) { g in
                    let g2 = Tensor(storage: g.contiguousNoGrad().storage, shape: product.shape)
                    matmulBackward(g2, flat, other, batchShape: [], gradientOfA: self)
                }
            }
            return out
        }
        let a = MatrixOperand(self), b = MatrixOperand(other)
        precondition(a.columns == b.rows, "matmul shapes \(shape) and \(other.shape) do not agree (\(a.columns) vs \(b.rows))")
        let m = a.rows, n = b.columns, k = a.columns
        let batchShape = broadcastShape(Array(shape.dropLast(2)), Array(other.shape.dropLast(2)))
        let out = Tensor(uninitializedShape: batchShape + [m, n])
        forEachMatrix(batchShape: batchShape, a, b, out) { pa, pb, pc in
            gemm(transposeA: a.transposed, transposeB: b.transposed, m: m, n: n, k: k,
                 a: pa, lda: a.leadingDimension, b: pb, ldb: b.leadingDimension, beta: 0, c: pc, ldc: n)
        }
        if Tape.needsRecord(self, other) {
            Tape.record(out) { g in matmulBackward(g, self, other, batchShape: batchShape, gradientOfA: self) }
        }
        return out
    }
}

/// Accumulates dA = dC · Bᵀ into `gradientOfA` (whose storage `a` may view under another
/// shape) and dB = Aᵀ · dC into `b`, summing over broadcast batch axes.
private func matmulBackward(_ g: Tensor, _ a: Tensor, _ b: Tensor, batchShape: [Int], gradientOfA: Tensor) {
    let ma = MatrixOperand(a), mb = MatrixOperand(b), mg = MatrixOperand(g.contiguousNoGrad())
    let m = ma.rows, k = ma.columns, n = mb.columns
    if gradientOfA.requiresGrad {
        let shapeA = batchShape + [m, k]
        let direct = a.shape == shapeA
        // A's gradient buffer is dense in A's shape, so it can be viewed as `a`'s shape.
        let dA = direct ? Tensor(storage: gradientOfA.gradientTensor().storage, shape: shapeA) : Tensor.zeros(shapeA)
        forEachMatrix(batchShape: batchShape, mg, mb, dA) { pg, pb, pc in
            gemm(transposeA: false, transposeB: !mb.transposed, m: m, n: k, k: n,
                 a: pg, lda: n, b: pb, ldb: mb.leadingDimension, beta: 1, c: pc, ldc: k)
        }
        if !direct { a.accumulateGradient(a.reduceBroadcastGradient(dA)) }
    }
    if b.requiresGrad {
        let shapeB = batchShape + [k, n]
        let direct = b.shape == shapeB
        let dB = direct ? b.gradientTensor() : Tensor.zeros(shapeB)
        forEachMatrix(batchShape: batchShape, ma, mg, dB) { pa, pg, pc in
            gemm(transposeA: !ma.transposed, transposeB: false, m: k, n: n, k: m,
                 a: pa, lda: ma.leadingDimension, b: pg, ldb: n, beta: 1, c: pc, ldc: n)
        }
        if !direct { b.accumulateGradient(b.reduceBroadcastGradient(dB)) }
    }
}

/// Calls `body` with the matrices of `a`, `b` and the dense output `c` for every index of
/// `batchShape`, broadcasting `a` and `b` over missing or size-1 batch axes.
private func forEachMatrix(batchShape: [Int], _ a: MatrixOperand, _ b: MatrixOperand, _ c: Tensor,
                           _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
    let batch = batchShape.reduce(1, *)
    let cMatrix = c.shape.suffix(2).reduce(1, *)
    let pc = c.storage.pointer + c.offset
    if batch == 1 { body(a.base, b.base, pc); return }
    func offsets(_ operand: MatrixOperand) -> [Int] {
        let lead = batchShape.count - operand.batchStrides.count
        let extent = Array(operand.tensor.shape.dropLast(2))
        var strides = [Int](repeating: 0, count: batchShape.count)
        for axis in 0..<extent.count where extent[axis] != 1 { strides[lead + axis] = operand.batchStrides[axis] }
        var result = [Int](repeating: 0, count: batch)
        var index = [Int](repeating: 0, count: batchShape.count)
        var position = 0
        for i in 0..<batch {
            result[i] = position
            var axis = batchShape.count - 1
            while axis >= 0 {
                index[axis] += 1
                position += strides[axis]
                if index[axis] < batchShape[axis] { break }
                position -= strides[axis] * batchShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return result
    }
    let offA = offsets(a), offB = offsets(b)
    for i in 0..<batch { body(a.base + offA[i], b.base + offB[i], pc + i * cMatrix) }
}
