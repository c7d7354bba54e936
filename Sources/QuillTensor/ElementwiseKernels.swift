/// Vectorized loops behind the elementwise ops. Each takes raw pointers so no exclusivity
/// checks or retain/release run inside the loop.

@usableFromInline typealias Vector = SIMD8<Float>

@inline(__always) func load(_ p: UnsafePointer<Float>) -> Vector {
    UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
}

@inline(__always) func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
}

/// `out[i] = f(x[i])` for `count` elements, split across threads for large inputs.
@inline(__always)
func mapUnary(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int,
              _ vector: (Vector) -> Vector, _ scalar: (Float) -> Float) {
    parallelFor(count, grain: 1 << 17) { range in
        var i = range.lowerBound
        while i + 8 <= range.upperBound { store(vector(load(x + i)), out + i); i += 8 }
        while i < range.upperBound { out[i] = scalar(x[i]); i += 1 }
    }
}

/// `out[i] = f(x[i], y[i])` for `count` elements.
@inline(__always)
func mapBinary(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int,
               _ vector: (Vector, Vector) -> Vector, _ scalar: (Float, Float) -> Float) {
    parallelFor(count, grain: 1 << 17) { range in
        var i = range.lowerBound
        while i + 8 <= range.upperBound { store(vector(load(x + i), load(y + i)), out + i); i += 8 }
        while i < range.upperBound { out[i] = scalar(x[i], y[i]); i += 1 }
    }
}

/// `out = f(a, b)` with broadcasting; `out` is dense in the broadcast shape.
@inline(__always)
func broadcastBinary(_ a: Tensor, _ b: Tensor, _ vector: (Vector, Vector) -> Vector,
                     _ scalar: (Float, Float) -> Float) -> Tensor {
    let shape = a.shape == b.shape ? a.shape : broadcastShape(a.shape, b.shape)
    let out = Tensor(uninitializedShape: shape)
    let o = out.data
    if a.shape == b.shape && a.isContiguous && b.isContiguous {
        mapBinary(a.data, b.data, o, out.count, vector, scalar)
        return out
    }
    let pa = a.storage.pointer + a.offset, pb = b.storage.pointer + b.offset
    var row = o
    forEachRow(shape: shape, stridesA: a.broadcastStrides(to: shape), stridesB: b.broadcastStrides(to: shape)) {
        offA, offB, n, sa, sb in
        let x = pa + offA, y = pb + offB
        var i = 0
        switch (sa, sb) {
        case (1, 1):
            while i + 8 <= n { store(vector(load(x + i), load(y + i)), row + i); i += 8 }
            while i < n { row[i] = scalar(x[i], y[i]); i += 1 }
        case (1, 0):
            let yv = Vector(repeating: y[0])
            while i + 8 <= n { store(vector(load(x + i), yv), row + i); i += 8 }
            while i < n { row[i] = scalar(x[i], y[0]); i += 1 }
        case (0, 1):
            let xv = Vector(repeating: x[0])
            while i + 8 <= n { store(vector(xv, load(y + i)), row + i); i += 8 }
            while i < n { row[i] = scalar(x[0], y[i]); i += 1 }
        default:
            while i < n { row[i] = scalar(x[i * sa], y[i * sb]); i += 1 }
        }
        row += n
    }
    return out
}

/// `out = f(x)` elementwise into a new dense tensor.
@inline(__always)
func unary(_ x: Tensor, _ vector: (Vector) -> Vector, _ scalar: (Float) -> Float) -> Tensor {
    let input = x.contiguousNoGrad()
    let out = Tensor(uninitializedShape: x.shape)
    mapUnary(input.data, out.data, x.count, vector, scalar)
    return out
}

// MARK: - Vectorized transcendental functions

/// e^x for eight lanes: range reduction x = n·ln2 + r, then a degree-6 polynomial for e^r
/// (Cephes expf coefficients), accurate to about 2 ulp on [-87, 88].
@inlinable @inline(__always)
public func vectorExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Clamping with masks, and rounding with the 1.5·2²³ trick below, keep every step in AVX
    // registers; `clamped(lowerBound:upperBound:)` and `SIMD8<Int32>(n)` compile to lane-by-lane
    // code that made this function ten times slower.
    let low = Vector(repeating: -87.3), high = Vector(repeating: 88.7)
    var clamped = x.replacing(with: low, where: x .< low)
    clamped = clamped.replacing(with: high, where: clamped .> high)
    // Adding 1.5·2²³ rounds x/ln2 to the nearest integer n and leaves n in the low mantissa bits.
    let magic = Vector(repeating: 12_582_912)
    let shifted = clamped * Vector(repeating: 1.442_695_04) + magic
    let n = shifted - magic
    var r = clamped - n * Vector(repeating: 0.693_359_375)
    r = r - n * Vector(repeating: -2.121_944_4e-4)
    var p = Vector(repeating: 1.987_569_1e-4)
    p = p * r + Vector(repeating: 1.398_199_9e-3)
    p = p * r + Vector(repeating: 8.333_452e-3)
    p = p * r + Vector(repeating: 4.166_579_6e-2)
    p = p * r + Vector(repeating: 1.666_666_5e-1)
    p = p * r + Vector(repeating: 5.000_000_1e-1)
    p = p * r * r + r + Vector(repeating: 1)
    // 2^n assembled in the exponent bits.
    let bits = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    let scale = unsafeBitCast(bits, to: Vector.self)
    return p * scale
}

/// e^x for eight lanes, exactly 0 below −87.3, so masked (−∞) entries of a softmax vanish
/// instead of leaving e^−87.3.
@inlinable @inline(__always)
public func vectorExpFlushingToZero(_ x: SIMD8<Float>) -> SIMD8<Float> {
    vectorExp(x).replacing(with: 0, where: x .< SIMD8<Float>(repeating: -87.3))
}

/// tanh for eight lanes via e^(2x), with the sign restored for stability.
@inlinable @inline(__always)
public func vectorTanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let ax = x.replacing(with: -x, where: x .< 0)
    let e = vectorExp(Vector(repeating: -2) * ax)
    let t = (Vector(repeating: 1) - e) / (Vector(repeating: 1) + e)
    return t.replacing(with: -t, where: x .< 0)
}

/// The logistic function for eight lanes.
@inlinable @inline(__always)
public func vectorSigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
    Vector(repeating: 1) / (Vector(repeating: 1) + vectorExp(-x))
}
