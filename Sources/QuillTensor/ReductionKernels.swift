#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loops behind ``Tensor/sum(axis:keepingDimensions:)`` and the other reductions, on dense
/// buffers seen as [outer, n, inner].
///
/// With `inner == 1` (the last axis) each output reduces one contiguous row of `n` with
/// SIMD8 lanes. Otherwise outputs are reduced a tile of up to 256 lanes at a time, streaming
/// down the reduced axis one contiguous run per step, so memory is read in order.

/// The number of outputs reduced together when the reduced axis is not the last.
private let tileWidth = 256

/// Calls `body(o, lanes)` over the [outer, inner] outputs, split across threads: by `outer` when
/// there are enough rows, else by lanes of `inner`.
@inline(__always)
func forEachOutputBlock(_ r: AxisReduction, _ body: (Int, Range<Int>) -> Void) {
    let rowWork = Swift.max(r.n * r.inner, 1)
    if r.outer >= Threads.count || r.outer * rowWork < 1 << 16 {
        parallelFor(r.outer, grain: Swift.max(1, (1 << 15) / rowWork)) { rows in
            for o in rows { body(o, 0..<r.inner) }
        }
    } else {
        for o in 0..<r.outer {
            parallelFor(r.inner, grain: Swift.max(64, (1 << 15) / Swift.max(r.n, 1))) { body(o, $0) }
        }
    }
}

/// Calls `body(start, width)` for consecutive tiles of at most `tileWidth` lanes covering `lanes`.
@inline(__always)
private func forEachTile(_ lanes: Range<Int>, _ body: (Int, Int) -> Void) {
    var start = lanes.lowerBound
    while start < lanes.upperBound {
        let width = Swift.min(tileWidth, lanes.upperBound - start)
        body(start, width)
        start += width
    }
}

/// The lane-wise larger of `a` and `b`, keeping `a` on ties (a mask select, which stays in
/// AVX registers where `pointwiseMax` does not).
@inline(__always)
private func lanewiseMax(_ a: Vector, _ b: Vector) -> Vector { a.replacing(with: b, where: b .> a) }

/// Σ p[0..<n], in two SIMD8 accumulators.
@inline(__always)
private func sumOfRow(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var a = Vector(repeating: 0), b = Vector(repeating: 0)
    var i = 0
    while i + 16 <= n { a += load(p + i); b += load(p + i + 8); i += 16 }
    if i + 8 <= n { a += load(p + i); i += 8 }
    var s = (a + b).sum()
    while i < n { s += p[i]; i += 1 }
    return s
}

/// The largest of p[0..<n] (n > 0) and the index of its first occurrence.
@inline(__always)
private func maxOfRow(_ p: UnsafePointer<Float>, _ n: Int) -> (value: Float, index: Int) {
    var best = Vector(repeating: -.infinity)
    var i = 0
    while i + 8 <= n { best = lanewiseMax(best, load(p + i)); i += 8 }
    var m = best.max()
    while i < n { m = Swift.max(m, p[i]); i += 1 }
    let target = Vector(repeating: m)
    i = 0
    while i + 8 <= n {
        let hit = load(p + i) .== target
        if any(hit) { for lane in 0..<8 where hit[lane] { return (m, i + lane) } }
        i += 8
    }
    while i < n { if p[i] == m { return (m, i) }; i += 1 }
    return (p[0], 0)  // only NaNs compare unequal to the maximum
}

/// out[o, i] = scale · Σ_j x[o, j, i].
func sumForward(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ r: AxisReduction, scale: Float) {
    let n = r.n, inner = r.inner
    forEachOutputBlock(r) { o, lanes in
        let src = x + o * n * inner, dst = out + o * inner
        if inner == 1 { dst[0] = sumOfRow(src, n) * scale; return }
        forEachTile(lanes) { start, width in
            let d = dst + start
            d.initialize(repeating: 0, count: width)
            for j in 0..<n { addInPlace(d, src + j * inner + start, width) }
            if scale != 1 { for i in 0..<width { d[i] *= scale } }
        }
    }
}

/// dx[o, j, i] += scale · g[o, i].
func sumBackward(_ g: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ r: AxisReduction, scale: Float) {
    let n = r.n, inner = r.inner
    forEachOutputBlock(r) { o, lanes in
        let grad = g + o * inner, dst = dx + o * n * inner
        if inner == 1 {
            let v = Vector(repeating: grad[0] * scale)
            var j = 0
            while j + 8 <= n { store(load(dst + j) + v, dst + j); j += 8 }
            while j < n { dst[j] += v[0]; j += 1 }
            return
        }
        for j in 0..<n {
            let row = dst + j * inner
            var i = lanes.lowerBound
            while i + 8 <= lanes.upperBound { store(load(row + i) + load(grad + i) * scale, row + i); i += 8 }
            while i < lanes.upperBound { row[i] += grad[i] * scale; i += 1 }
        }
    }
}

/// out[o, i] = max_j x[o, j, i], and indices[o, i] the first j that attains it.
func maxForward(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ indices: UnsafeMutablePointer<Int32>,
                _ r: AxisReduction) {
    let n = r.n, inner = r.inner
    forEachOutputBlock(r) { o, lanes in
        let src = x + o * n * inner, dst = out + o * inner, arg = indices + o * inner
        if inner == 1 {
            let (m, k) = maxOfRow(src, n)
            dst[0] = m
            arg[0] = Int32(k)
            return
        }
        forEachTile(lanes) { start, width in
            let best = dst + start, at = arg + start
            best.update(from: src + start, count: width)
            at.update(repeating: 0, count: width)
            for j in 1..<n {
                let row = src + j * inner + start
                let step = SIMD8<Int32>(repeating: Int32(j))
                var i = 0
                while i + 8 <= width {
                    let v = load(row + i), b = load(best + i)
                    let better = v .> b  // strict, so ties keep the first index
                    store(b.replacing(with: v, where: better), best + i)
                    let a = UnsafeMutableRawPointer(at + i)
                    a.storeBytes(of: a.loadUnaligned(as: SIMD8<Int32>.self).replacing(with: step, where: better),
                                 as: SIMD8<Int32>.self)
                    i += 8
                }
                while i < width {
                    if row[i] > best[i] { best[i] = row[i]; at[i] = Int32(j) }
                    i += 1
                }
            }
        }
    }
}

/// dx[o, indices[o, i], i] += g[o, i].
func maxBackward(_ g: UnsafePointer<Float>, _ indices: UnsafePointer<Int32>, _ dx: UnsafeMutablePointer<Float>,
                 _ r: AxisReduction) {
    let n = r.n, inner = r.inner
    for o in 0..<r.outer {
        for i in 0..<inner {
            let k = o * inner + i
            dx[(o * n + Int(indices[k])) * inner + i] += g[k]
        }
    }
}

/// out[o, i] = log Σ_j exp(x[o, j, i]), shifted by the maximum for stability.
func logSumExpForward(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ r: AxisReduction) {
    let n = r.n, inner = r.inner
    forEachOutputBlock(r) { o, lanes in
        let src = x + o * n * inner, dst = out + o * inner
        if inner == 1 {
            let m = n == 0 ? -Float.infinity : maxOfRow(src, n).value
            // A row of -∞ (or one holding +∞) has no finite shift; its result is the maximum itself.
            guard m.isFinite else { dst[0] = m; return }
            let shift = Vector(repeating: m)
            var s = Vector(repeating: 0), j = 0
            while j + 8 <= n { s += vectorExp(load(src + j) - shift); j += 8 }
            var total = s.sum()
            while j < n { total += expf(src[j] - m); j += 1 }
            dst[0] = m + logf(total)
            return
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * tileWidth) { buffer in
            let shift = buffer.baseAddress!, total = shift + tileWidth
            forEachTile(lanes) { start, width in
                // The lane maxima go in `dst` first; lanes whose maximum is not finite shift by 0.
                let m = dst + start
                m.initialize(repeating: -.infinity, count: width)
                for j in 0..<n {
                    let row = src + j * inner + start
                    var i = 0
                    while i + 8 <= width { store(lanewiseMax(load(m + i), load(row + i)), m + i); i += 8 }
                    while i < width { m[i] = Swift.max(m[i], row[i]); i += 1 }
                }
                for i in 0..<width { shift[i] = m[i].isFinite ? m[i] : 0 }
                total.initialize(repeating: 0, count: width)
                for j in 0..<n {
                    let row = src + j * inner + start
                    var i = 0
                    while i + 8 <= width { store(load(total + i) + vectorExp(load(row + i) - load(shift + i)), total + i); i += 8 }
                    while i < width { total[i] += expf(row[i] - shift[i]); i += 1 }
                }
                for i in 0..<width where m[i].isFinite { m[i] += logf(total[i]) }
            }
        }
    }
}

/// dx[o, j, i] += g[o, i] · exp(x[o, j, i] - out[o, i]), the softmax along the reduced axis.
func logSumExpBackward(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ out: UnsafePointer<Float>,
                       _ dx: UnsafeMutablePointer<Float>, _ r: AxisReduction) {
    let n = r.n, inner = r.inner
    forEachOutputBlock(r) { o, lanes in
        let src = x + o * n * inner, dst = dx + o * n * inner
        let grad = g + o * inner, lse = out + o * inner
        if inner == 1 {
            // exp(x - (-∞)) is undefined; such a row's inputs are all -∞ and get no gradient.
            let shift = lse[0].isFinite ? lse[0] : 0
            let gv = Vector(repeating: grad[0]), sv = Vector(repeating: shift)
            var j = 0
            while j + 8 <= n { store(load(dst + j) + gv * vectorExp(load(src + j) - sv), dst + j); j += 8 }
            while j < n { dst[j] += grad[0] * expf(src[j] - shift); j += 1 }
            return
        }
        for j in 0..<n {
            let row = src + j * inner, drow = dst + j * inner
            var i = lanes.lowerBound
            while i + 8 <= lanes.upperBound {
                let l = load(lse + i)
                let shift = Vector(repeating: 0).replacing(with: l, where: (l .> -.infinity) .& (l .< .infinity))
                store(load(drow + i) + load(grad + i) * vectorExp(load(row + i) - shift), drow + i)
                i += 8
            }
            while i < lanes.upperBound {
                let shift = lse[i].isFinite ? lse[i] : 0
                drow[i] += grad[i] * expf(row[i] - shift)
                i += 1
            }
        }
    }
}

/// Σ x[0..<count]: SIMD8 sums over blocks of 16 384, added in `Double`, so the result does not
/// depend on the thread count.
func totalSum(_ x: UnsafePointer<Float>, _ count: Int) -> Double {
    if count == 0 { return 0 }
    let block = 1 << 14
    let blocks = (count + block - 1) / block
    var partial = [Double](repeating: 0, count: blocks)
    partial.withUnsafeMutableBufferPointer { buffer in
        let sums = buffer.baseAddress!
        parallelFor(blocks, grain: 2) { range in
            for b in range { sums[b] = Double(sumOfRow(x + b * block, Swift.min(block, count - b * block))) }
        }
    }
    return partial.reduce(0, +)
}
