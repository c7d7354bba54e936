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
    let out = a.shape == shape ? a.uninitializedLike() : b.shape == shape ? b.uninitializedLike() : Tensor(uninitializedShape: shape)
    let o = out.data
    if a.shape == b.shape && a.isContiguous && b.isContiguous {
        mapBinary(a.data, b.data, o, out.count, vector, scalar)
        return out
    }
    let pa = a.storage.pointer + a.offset, pb = b.storage.pointer + b.offset
    var row = o
    a.withBroadcastStrides(to: shape) { stridesA in
        b.withBroadcastStrides(to: shape) { stridesB in
            forEachRow(shape: shape, stridesA: stridesA, stridesB: stridesB) {
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
        }
    }
    return out
}

/// `out = f(x)` elementwise into a new dense tensor.
@inline(__always)
func unary(_ x: Tensor, _ vector: (Vector) -> Vector, _ scalar: (Float) -> Float) -> Tensor {
    let input = x.contiguousNoGrad()
    let out = input.uninitializedLike()
    mapUnary(input.data, out.data, x.count, vector, scalar)
    return out
}

extension Tensor {
    /// A new dense tensor of this shape, uninitialized, that shares this tensor's `shape` and
    /// (when they are row-major) `strides` arrays, so making it allocates only the tensor and
    /// storage objects, not a strides array.
    @inline(__always)
    func uninitializedLike() -> Tensor {
        Tensor(storage: TensorStorage.uninitialized(count: count), shape: shape, strides: hasRowMajorStrides ? strides : nil)
    }

    /// Whether `strides` are exactly the row-major strides of `shape` (size-1 axes included).
    var hasRowMajorStrides: Bool {
        var expected = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }
}
