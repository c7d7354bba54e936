/// Loops that move elements between strided views and dense memory: the gradient scatter
/// behind every view op, and an 8 × 8 block walk for transposed matrices.

/// Adds the dense `gradient` [layout.shape] into `destination` at the positions `layout`
/// describes, summing where a stride is 0.
///
/// Splits the outer axis across threads when it has a nonzero stride: the views built here
/// reach a position at most once per index outside their stride-0 axes, so the chunks are disjoint.
func addStrided(_ gradient: Tensor, into destination: UnsafeMutablePointer<Float>, layout: ViewLayout) {
    let g = gradient.contiguousNoGrad()
    defer { withExtendedLifetime(g) {} }
    let source = g.data
    let shape = layout.shape, strides = layout.strides
    let total = g.count
    if total == 0 { return }
    if shape.isEmpty { destination[layout.offset] += source[0]; return }
    let out = destination + layout.offset
    if isTransposedMatrix(shape: shape, strides: strides) {
        let columns = shape[shape.count - 1], columnStride = strides[shape.count - 1]
        forEachTransposedBlock(shape: shape, strides: strides) { view, dense, rows, blockColumns in
            let src = source + dense, dst = out + view
            if rows == 8 && blockColumns == 8 {
                transposeBlock({ load(src + $0 * columns) }) { c, v in store(load(dst + c * columnStride) + v, dst + c * columnStride) }
                return
            }
            for r in 0..<rows { for c in 0..<blockColumns { dst[r + c * columnStride] += src[r * columns + c] } }
        }
        return
    }
    let denseStrides = Tensor.contiguousStrides(for: shape)
    func add(outer: Range<Int>) {
        let dst = out + outer.lowerBound * strides[0]
        let src = source + outer.lowerBound * denseStrides[0]
        var part = shape
        part[0] = outer.count
        forEachRow(shape: part, stridesA: strides, stridesB: denseStrides) { offsetOut, offsetIn, n, step, _ in
            let row = src + offsetIn
            switch step {
            case 1: addInPlace(dst + offsetOut, row, n)
            case 0:
                var s: Float = 0
                for i in 0..<n { s += row[i] }
                dst[offsetOut] += s
            default:
                for i in 0..<n { dst[offsetOut + i * step] += row[i] }
            }
        }
    }
    if strides[0] != 0 && total >= 1 << 16 {
        parallelFor(shape[0], grain: Swift.max(1, (1 << 15) / Swift.max(total / shape[0], 1))) { add(outer: $0) }
    } else {
        add(outer: 0..<shape[0])
    }
}

/// Whether the last two axes of a view are a transposed matrix: stride 1 down each column and a
/// long stride along each row, which a row-by-row walk would read one cache line per element.
func isTransposedMatrix(shape: [Int], strides: [Int]) -> Bool {
    let rank = shape.count
    guard rank >= 2 else { return false }
    let rows = shape[rank - 2], columns = shape[rank - 1], columnStride = strides[rank - 1]
    return strides[rank - 2] == 1 && rows > 1 && columns > 1 && columnStride != 0 && columnStride != 1
}

/// Calls `body(viewPosition, densePosition, blockRows, blockColumns)` for the 8 × 8 blocks
/// covering a view whose last two axes are a transposed matrix (``isTransposedMatrix(shape:strides:)``);
/// positions are of the block's first element, in the view and in row-major order. Blocks at
/// the bottom and right edges may be smaller.
///
/// Splits large matrices across threads by bands of eight rows.
func forEachTransposedBlock(shape: [Int], strides: [Int], _ body: (Int, Int, Int, Int) -> Void) {
    let rank = shape.count
    let rows = shape[rank - 2], columns = shape[rank - 1], columnStride = strides[rank - 1]
    let batchShape = Array(shape.dropLast(2)) + [1]
    let batchStrides = Array(strides.dropLast(2)) + [0]
    let denseBatchStrides = Array(Tensor.contiguousStrides(for: shape).dropLast(2)) + [0]
    forEachRow(shape: batchShape, stridesA: batchStrides, stridesB: denseBatchStrides) { viewBase, denseBase, _, _, _ in
        let bands = (rows + 7) / 8
        parallelFor(bands, grain: Swift.max(1, (1 << 15) / (8 * columns))) { bandRange in
            for band in bandRange {
                let r0 = band * 8, blockRows = Swift.min(8, rows - r0)
                var c0 = 0
                while c0 < columns {
                    let blockColumns = Swift.min(8, columns - c0)
                    body(viewBase + r0 + c0 * columnStride, denseBase + r0 * columns + c0, blockRows, blockColumns)
                    c0 += blockColumns
                }
            }
        }
    }
}

/// Transposes an 8 × 8 block in registers: reads vectors `load(0)` … `load(7)` and passes
/// `store(l, v)` the vector of their lanes `l`.
@inline(__always)
func transposeBlock(_ load: (Int) -> Vector, _ store: (Int, Vector) -> Void) {
    let v0 = load(0), v1 = load(1), v2 = load(2), v3 = load(3)
    let v4 = load(4), v5 = load(5), v6 = load(6), v7 = load(7)
    for l in 0..<8 { store(l, Vector(v0[l], v1[l], v2[l], v3[l], v4[l], v5[l], v6[l], v7[l])) }
}
