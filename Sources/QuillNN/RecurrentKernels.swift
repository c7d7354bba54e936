import Dispatch
import QuillTensor

// Raw-buffer helpers shared by the LSTM and GRU kernels: partial SIMD loads for hidden sizes
// that are not a multiple of 8, tanh, layout changes between batch-major and time-major, bias
// gradients and dropout masks.

/// Calls `body(j, n)` for consecutive chunks of `count` elements: `n` is 8 for every full chunk
/// and 1...7 for a final partial one.
///
/// Kernels read and write each chunk with ``loadLanes(_:_:)`` and ``storeLanes(_:_:_:)``.
/// Once inlined, the full chunks see the constant 8 and compile to plain vector loads, while one
/// source path (the one the gradient checks exercise) also serves hidden sizes that are not a
/// multiple of 8.
@inline(__always)
func forEachChunk(_ count: Int, _ body: (_ start: Int, _ width: Int) -> Void) {
    var j = 0
    while j + 8 <= count {
        body(j, 8)
        j += 8
    }
    if j < count { body(j, count - j) }
}

/// Loads `count` (1...8) floats into the low lanes, zero-filling the rest.
@inline(__always)
func loadLanes(_ p: UnsafePointer<Float>, _ count: Int) -> SIMD8<Float> {
    if count == 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
    // A byte copy, not lane inserts: it keeps the partial path small enough that the
    // full path around it still inlines completely.
    var v = SIMD8<Float>(repeating: 0)
    withUnsafeMutableBytes(of: &v) { $0.baseAddress!.copyMemory(from: p, byteCount: count * 4) }
    return v
}

/// Stores the low `count` (1...8) lanes of `v` at `p`.
@inline(__always)
func storeLanes(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
    if count == 8 {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
        return
    }
    withUnsafeBytes(of: v) { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: count * 4) }
}

/// Whether sequence `row` still has a real token at `time` (always, without `lengths`).
@inline(__always)
func isActive(_ lengths: UnsafePointer<Int>?, row: Int, time: Int) -> Bool {
    guard let lengths else { return true }
    return time < lengths[row]
}

/// tanh for eight lanes as ±(1 − e^(−2|x|)) / (1 + e^(−2|x|)): the exponent is never positive,
/// so large |x| (an LSTM cell state of −60, say) gives ±1, never inf/inf (`vectorExp(88.7)` is inf).
///
/// Written here because the compiler declines to inline QuillTensor's `vectorTanh` across the
/// module boundary, and a call per eight lanes costs more than the arithmetic.
@inline(__always)
func tanhLanes(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let magnitude = x.replacing(with: -x, where: x .< 0)
    let e = vectorExp(SIMD8<Float>(repeating: -2) * magnitude)
    let t = (SIMD8<Float>(repeating: 1) - e) / (SIMD8<Float>(repeating: 1) + e)
    return t.replacing(with: -t, where: x .< 0)
}

/// Runs `body` on contiguous blocks of the rows 0..<count, one block per thread (``Threads/count``)
/// while every block keeps at least `minimumRows` rows; BLAS runs single-threaded meanwhile.
///
/// The sequences of a batch never interact inside a recurrence, so each thread runs every
/// timestep of its own rows with no synchronization until the end.
func forEachRowBlock(_ count: Int, minimumRows: Int = 8, _ body: (Range<Int>) -> Void) {
    let blocks = min(Threads.count, count / minimumRows)
    guard blocks > 1 else {
        body(0..<count)
        return
    }
    BLAS.singleThreaded {
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: blocks) { block in
                body(count * block / blocks ..< count * (block + 1) / blocks)
            }
        }
    }
}

/// Copies a [B, T, C] tensor with any strides into dense time-major memory [T, B, C].
func copyToTimeMajor(_ tensor: Tensor, _ destination: UnsafeMutablePointer<Float>) {
    let batchSize = tensor.shape[0], steps = tensor.shape[1], columns = tensor.shape[2]
    let base = tensor.storage.pointer + tensor.offset
    let (sb, st, sc) = (tensor.strides[0], tensor.strides[1], tensor.strides[2])
    for t in 0..<steps {
        for b in 0..<batchSize {
            let source = base + b * sb + t * st
            let row = destination + (t * batchSize + b) * columns
            if sc == 1 {
                row.update(from: source, count: columns)
            } else {
                for c in 0..<columns { row[c] = source[c * sc] }
            }
        }
    }
}

/// Moves dense [T, B, C] to dense [B, T, C], adding into `destination` when `accumulate`.
func timeMajorToBatchMajor(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>,
                           steps: Int, batchSize: Int, columns: Int, accumulate: Bool) {
    for b in 0..<batchSize {
        for t in 0..<steps {
            let from = source + (t * batchSize + b) * columns
            let to = destination + (b * steps + t) * columns
            if accumulate {
                addRow(from, to, columns)
            } else {
                to.update(from: from, count: columns)
            }
        }
    }
}

/// `destination[i] += source[i]` for `count` elements.
@inline(__always)
func addRow(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
    forEachChunk(count) { i, n in
        storeLanes(loadLanes(destination + i, n) + loadLanes(source + i, n), destination + i, n)
    }
}

/// Adds the column sums of `matrix` [rows, columns] (row step `ld`) to `sums` [columns]:
/// the bias gradient of a product whose output gradient is `matrix`.
func accumulateColumnSums(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, ld: Int,
                          into sums: UnsafeMutablePointer<Float>) {
    // Row by row: `sums` stays in L1 while the matrix streams through once.
    for row in 0..<rows { addRow(matrix + row * ld, sums, columns) }
}

/// Fills `mask` [count] with 0 (dropped, with chance `probability`) or 1/(1 − `probability`).
func fillDropoutMask(_ mask: UnsafeMutablePointer<Float>, count: Int, probability: Float,
                     using generator: inout RandomGenerator) {
    let kept: Float = probability >= 1 ? 0 : 1 / (1 - probability)
    for i in 0..<count { mask[i] = generator.nextFloat() < probability ? 0 : kept }
}

/// `values[i] *= mask[i]` for `count` elements.
func multiplyInPlace(_ values: UnsafeMutablePointer<Float>, by mask: UnsafePointer<Float>, count: Int) {
    forEachChunk(count) { i, n in
        storeLanes(loadLanes(values + i, n) * loadLanes(mask + i, n), values + i, n)
    }
}
