import COpenBLAS
import QuillTensor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where one attention call reads queries, keys and values and writes its output: row-major
/// matrices with their own leading dimensions, so heads are read straight out of a packed
/// projection [B, T, 3C] (or a key-value cache [S, C]) and written into [B, T, C] with no copy.
///
/// Head `h` of batch row `b` uses columns `h·D..<(h+1)·D` of rows `b·batchStride...`. Query `i`
/// of `queries` sees keys `0...i + keys − queries`, so queries line up with the last keys.
struct AttentionLayout {
    var batch: Int, heads: Int, headSize: Int
    var queries: Int, keys: Int
    /// Elements between consecutive rows, and between batch rows, of q, k, v and the output.
    var queryStride: Int, keyStride: Int, valueStride: Int, outputStride: Int
    var queryBatchStride: Int, keyBatchStride: Int, valueBatchStride: Int, outputBatchStride: Int

    /// The layout of a packed projection `qkv` [B, T, 3C] attending to itself, output [B, T, C].
    static func packed(batch: Int, length: Int, heads: Int, width: Int) -> AttentionLayout {
        AttentionLayout(batch: batch, heads: heads, headSize: width / heads, queries: length, keys: length,
                        queryStride: 3 * width, keyStride: 3 * width, valueStride: 3 * width, outputStride: width,
                        queryBatchStride: length * 3 * width, keyBatchStride: length * 3 * width,
                        valueBatchStride: length * 3 * width, outputBatchStride: length * width)
    }

    /// How many leading keys query `i` sees.
    @inline(__always) func visibleKeys(query i: Int) -> Int { i + keys - queries + 1 }
}

/// Inverted dropout on attention probabilities whose mask is a hash of (seed, position), so the
/// backward pass regenerates the forward's mask instead of storing a [B, H, T, S] tensor.
struct AttentionDropout {
    let probability: Float
    let seed: UInt64
    /// ⌈p · 2²⁴⌉: an element is dropped when its 24 hash bits fall below it.
    private let threshold: UInt64
    let keptScale: Float

    init(probability: Float, seed: UInt64) {
        self.probability = probability
        self.seed = seed
        threshold = UInt64((Double(probability) * 16_777_216).rounded(.up))
        keptScale = probability >= 1 ? 0 : 1 / (1 - probability)
    }

    /// The mask value (0 or 1/(1 − p)) of element `index` of the flattened [B, H, T, S] probabilities.
    @inline(__always) func mask(_ index: Int) -> Float {
        var z = seed &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return z >> 40 < threshold ? 0 : keptScale
    }
}

/// Query rows handled per score block. A block of rows needs only the keys its last row sees,
/// so smaller blocks skip more of the masked upper triangle but make smaller BLAS calls. Forward
/// plus backward, one thread: at T = 256, D = 64 (B 8, H 6) 64 rows took 28.9 ms against 31.1 ms
/// for 32 rows and 39.1 ms for one 256-row block; at T = 64 it is a single block.
let attentionQueryBlock = 64

// MARK: - Forward

/// Causal softmax attention, `output` = softmax(q·kᵀ·scale, masked) · v, per batch row and head.
///
/// Shapes: q, k, v and output as `layout` describes ([B, T, …] rows, D columns per head);
/// `logSumExp` [B, H, T] saves each query row's log Σ e^score for ``attentionBackward``.
/// Scores exist only as one [64, S] block per thread in scratch memory, never as [B, H, T, S].
func attentionForward(output: UnsafeMutablePointer<Float>, logSumExp: UnsafeMutablePointer<Float>,
                      query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
                      layout l: AttentionLayout, scale: Float, dropout: AttentionDropout?) {
    let D = l.headSize, S = l.keys
    forEachHead(l) { b, h in
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: attentionQueryBlock * S)
        defer { scores.deallocate() }
        let q = query + b * l.queryBatchStride + h * D
        let k = key + b * l.keyBatchStride + h * D
        let v = value + b * l.valueBatchStride + h * D
        let o = output + b * l.outputBatchStride + h * D
        let lse = logSumExp + (b * l.heads + h) * l.queries
        for start in stride(from: 0, to: l.queries, by: attentionQueryBlock) {
            let rows = min(attentionQueryBlock, l.queries - start)
            let n = l.visibleKeys(query: start + rows - 1)
            sgemm(false, true, rows, n, D, scale, q + start * l.queryStride, l.queryStride,
                  k, l.keyStride, 0, scores, n)
            for r in 0..<rows {
                let i = start + r
                let row = scores + r * n, visible = l.visibleKeys(query: i)
                lse[i] = softmaxInPlace(row, visible)
                (row + visible).initialize(repeating: 0, count: n - visible)
                if let dropout {
                    let base = ((b * l.heads + h) * l.queries + i) * S
                    for j in 0..<visible { row[j] *= dropout.mask(base + j) }
                }
            }
            sgemm(false, false, rows, D, n, 1, scores, n, v, l.valueStride, 0, o + start * l.outputStride, l.outputStride)
        }
    }
}

// MARK: - Backward

/// Accumulates (`+=`) the gradients of ``attentionForward`` into `queryGradient`, `keyGradient`
/// and `valueGradient` (laid out as the forward's q, k, v), from `outputGradient` (laid out as
/// the output). Reads the forward's q, k, v, `output` and `logSumExp` [B, H, T].
///
/// Recomputes each score block from q and k and the saved log Σ e^score (FlashAttention's
/// backward, Dao et al. 2022): with P = softmax and O = P·v,
/// dv += Pᵀ·dO, dP = dO·vᵀ, dS = P ⊙ (dP − rowsum(dO ⊙ O)), dq += dS·k·scale, dk += dSᵀ·q·scale.
func attentionBackward(queryGradient: UnsafeMutablePointer<Float>, keyGradient: UnsafeMutablePointer<Float>,
                       valueGradient: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>,
                       query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
                       output: UnsafePointer<Float>, logSumExp: UnsafePointer<Float>,
                       layout l: AttentionLayout, scale: Float, dropout: AttentionDropout?) {
    let D = l.headSize, S = l.keys
    forEachHead(l) { b, h in
        let probabilities = UnsafeMutablePointer<Float>.allocate(capacity: 2 * attentionQueryBlock * S)
        defer { probabilities.deallocate() }
        let scoreGradient = probabilities + attentionQueryBlock * S
        let q = query + b * l.queryBatchStride + h * D, dq = queryGradient + b * l.queryBatchStride + h * D
        let k = key + b * l.keyBatchStride + h * D, dk = keyGradient + b * l.keyBatchStride + h * D
        let v = value + b * l.valueBatchStride + h * D, dv = valueGradient + b * l.valueBatchStride + h * D
        let o = output + b * l.outputBatchStride + h * D, dO = outputGradient + b * l.outputBatchStride + h * D
        let lse = logSumExp + (b * l.heads + h) * l.queries
        for start in stride(from: 0, to: l.queries, by: attentionQueryBlock) {
            let rows = min(attentionQueryBlock, l.queries - start)
            let n = l.visibleKeys(query: start + rows - 1)
            let qBlock = q + start * l.queryStride, dOBlock = dO + start * l.outputStride
            // P = exp(q·kᵀ·scale − lse), recomputed; masked entries are 0.
            sgemm(false, true, rows, n, D, scale, qBlock, l.queryStride, k, l.keyStride, 0, probabilities, n)
            for r in 0..<rows {
                let row = probabilities + r * n, visible = l.visibleKeys(query: start + r)
                exponentiateShifted(row, visible, shift: lse[start + r])
                (row + visible).initialize(repeating: 0, count: n - visible)
            }
            // dP = dO·vᵀ, the gradient of the (dropped-out) probabilities.
            sgemm(false, true, rows, n, D, 1, dOBlock, l.outputStride, v, l.valueStride, 0, scoreGradient, n)
            for r in 0..<rows {
                let i = start + r, visible = l.visibleKeys(query: i)
                let delta = dot(dO + i * l.outputStride, o + i * l.outputStride, D)
                let p = probabilities + r * n, g = scoreGradient + r * n
                if let dropout {
                    // dS uses P and the masked dP; dv below needs the dropped-out P, so it replaces P.
                    let base = ((b * l.heads + h) * l.queries + i) * S
                    for j in 0..<visible {
                        let m = dropout.mask(base + j)
                        g[j] = p[j] * (g[j] * m - delta) * scale
                        p[j] *= m
                    }
                    (g + visible).initialize(repeating: 0, count: n - visible)
                } else {
                    scoreGradientRow(g, p, visible, count: n, delta: delta, scale: scale)
                }
            }
            sgemm(true, false, n, D, rows, 1, probabilities, n, dOBlock, l.outputStride, 1, dv, l.valueStride)
            sgemm(false, false, rows, D, n, 1, scoreGradient, n, k, l.keyStride, 1, dq + start * l.queryStride, l.queryStride)
            sgemm(true, false, n, D, rows, 1, scoreGradient, n, qBlock, l.queryStride, 1, dk, l.keyStride)
        }
    }
}

// MARK: - Helpers

/// Runs `body(b, h)` for every batch row and head, splitting heads across threads. Each call
/// owns disjoint columns of every output, so threads never write the same element.
///
/// BLAS runs single-threaded meanwhile: the heads already fill the cores, and concurrent
/// multithreaded OpenBLAS calls would contend for its one thread pool.
private func forEachHead(_ l: AttentionLayout, _ body: (Int, Int) -> Void) {
    let pairs = l.batch * l.heads
    let threads = Threads.count
    if threads > 1 && pairs > 1 { openblas_set_num_threads(1) }
    defer { if threads > 1 && pairs > 1 { openblas_set_num_threads(Int32(threads)) } }
    parallelFor(pairs, grain: 1) { range in
        for pair in range { body(pair / l.heads, pair % l.heads) }
    }
}

/// C[M, N] = alpha · op(A) · op(B) + beta · C, row-major, positionally for compact kernels.
@inline(__always)
private func sgemm(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                   _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                   _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    BLAS.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
              a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
}

private typealias Lanes = SIMD8<Float>

@inline(__always) private func load(_ p: UnsafePointer<Float>) -> Lanes {
    UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
}

@inline(__always) private func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
}

/// Replaces the `n` scores at `x` with their softmax and returns log Σ e^x.
@inline(__always)
private func softmaxInPlace(_ x: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
    var maxLanes = Lanes(repeating: -.infinity)
    var i = 0
    while i + 8 <= n { let v = load(x + i); maxLanes = maxLanes.replacing(with: v, where: v .> maxLanes); i += 8 }
    var m = maxLanes.max()
    while i < n { m = max(m, x[i]); i += 1 }
    let total = exponentiateShifted(x, n, shift: m)
    let inverse = 1 / total
    i = 0
    while i + 8 <= n { store(load(x + i) * inverse, x + i); i += 8 }
    while i < n { x[i] *= inverse; i += 1 }
    return m + logf(total)
}

/// Replaces the `n` floats at `x` with e^(x − shift) and returns their sum.
@discardableResult @inline(__always)
private func exponentiateShifted(_ x: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Float {
    let s = Lanes(repeating: shift)
    var sum = Lanes(repeating: 0)
    var i = 0
    while i + 8 <= n {
        let e = vectorExpFlushingToZero(load(x + i) - s)
        store(e, x + i)
        sum += e
        i += 8
    }
    var total = sum.sum()
    while i < n { x[i] = expf(x[i] - shift); total += x[i]; i += 1 }
    return total
}

/// Σ a·b over `n` floats.
@inline(__always)
private func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var s = Lanes(repeating: 0)
    var i = 0
    while i + 8 <= n { s = s.addingProduct(load(a + i), load(b + i)); i += 8 }
    var total = s.sum()
    while i < n { total += a[i] * b[i]; i += 1 }
    return total
}

/// g = p ⊙ (g − delta) · scale over a row of `count` floats; entries from `visible` on are
/// masked (p = 0), so they become exactly 0.
@inline(__always)
private func scoreGradientRow(_ g: UnsafeMutablePointer<Float>, _ p: UnsafePointer<Float>, _ visible: Int,
                              count: Int, delta: Float, scale: Float) {
    let d = Lanes(repeating: delta), s = Lanes(repeating: scale)
    var i = 0
    while i + 8 <= visible { store(load(p + i) * (load(g + i) - d) * s, g + i); i += 8 }
    while i < visible { g[i] = p[i] * (g[i] - delta) * scale; i += 1 }
    (g + visible).initialize(repeating: 0, count: count - visible)
}
