import QuillNN
import QuillTensor

/// The feed-forward half of a GPT block: `c_fc` to 4·C, exact GELU, `c_proj` back to C, dropout.
final class GPTFeedForward: Module {
    /// `c_fc`: weight [4C, C].
    let expansion: Linear
    /// `c_proj`: weight [C, 4C].
    let projection: Linear
    let dropoutProbability: Float
    private(set) var isTraining = true

    init(expansion: Linear, projection: Linear, dropoutProbability: Float) {
        self.expansion = expansion
        self.projection = projection
        self.dropoutProbability = dropoutProbability
    }

    /// [B, T, C] → [B, T, C].
    func callAsFunction(_ x: Tensor, generator: inout RandomGenerator) -> Tensor {
        projection(expansion(x).exactGELU())
            .dropout(probability: dropoutProbability, isTraining: isTraining, using: &generator)
    }

    func namedParameters() -> [(name: String, tensor: Tensor)] {
        prefixed("c_fc", expansion.namedParameters()) + prefixed("c_proj", projection.namedParameters())
    }

    func setTraining(_ training: Bool) { isTraining = training }
}

extension Tensor {
    /// GELU in its exact form x·Φ(x), Φ the standard normal CDF: PyTorch's `nn.GELU()`, which
    /// nanoGPT uses (GPT-2's tanh form differs by up to 5e-4). One tape op.
    func exactGELU() -> Tensor {
        let input = isContiguous ? self : copy()
        let out = Tensor(uninitializedShape: shape)
        let x = UnsafePointer(input.data), y = out.data
        parallelFor(count, grain: 1 << 15) { range in
            forEachLanes(range, x, y) { v, _ in v * normalCDF(v, gaussian: vectorExpFlushingToZero(v * v * Lanes(repeating: -0.5))) }
        }
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                let dx = self.gradientPointer(), dy = UnsafePointer(g.data)
                parallelFor(self.count, grain: 1 << 15) { range in
                    forEachLanes(range, x, dx, dy) { v, accumulated, upstream in
                        // d/dx x·Φ(x) = Φ(x) + x·φ(x); Φ and φ share the factor e^(−x²/2).
                        let gaussian = vectorExpFlushingToZero(v * v * Lanes(repeating: -0.5))
                        let derivative = normalCDF(v, gaussian: gaussian) + v * gaussian * Lanes(repeating: 0.398_942_28)
                        return accumulated + upstream * derivative
                    }
                }
            }
        }
        return out
    }
}

private typealias Lanes = SIMD8<Float>

/// `out[i] = f(x[i])` over `range`, eight lanes at a time; the tail goes through a padded copy
/// so every call of `f` sees whole vectors (partial-lane loads make LLVM scalarize the loop).
@inline(__always)
private func forEachLanes(_ range: Range<Int>, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                          _ f: (Lanes, Lanes) -> Lanes) {
    forEachLanes(range, x, out, UnsafePointer(out)) { v, _, o in f(v, o) }
}

/// `out[i] = f(x[i], out[i], y[i])` over `range`, eight lanes at a time, as above.
@inline(__always)
private func forEachLanes(_ range: Range<Int>, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                          _ y: UnsafePointer<Float>, _ f: (Lanes, Lanes, Lanes) -> Lanes) {
    var i = range.lowerBound
    while i + 8 <= range.upperBound {
        let result = f(UnsafeRawPointer(x + i).loadUnaligned(as: Lanes.self),
                       UnsafeRawPointer(out + i).loadUnaligned(as: Lanes.self),
                       UnsafeRawPointer(y + i).loadUnaligned(as: Lanes.self))
        UnsafeMutableRawPointer(out + i).storeBytes(of: result, as: Lanes.self)
        i += 8
    }
    let n = range.upperBound - i
    guard n > 0 else { return }
    var a = Lanes(repeating: 0), b = a, c = a
    for j in 0..<n { a[j] = x[i + j]; b[j] = out[i + j]; c[j] = y[i + j] }
    let result = f(a, b, c)
    for j in 0..<n { out[i + j] = result[j] }
}

/// Φ(x) = (1 + erf(x/√2))/2 with erf from Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7).
///
/// The formula gives erfc(|z|) = poly(t)·e^(−z²) directly, so Φ of a negative x is computed
/// without the cancellation of 1 + erf. `gaussian` is e^(−x²/2) = e^(−z²), which the caller
/// shares with the density φ.
@inline(__always)
private func normalCDF(_ x: Lanes, gaussian: Lanes) -> Lanes {
    let z = x.replacing(with: -x, where: x .< 0) * Lanes(repeating: 0.707_106_78)
    let t = 1 / (Lanes(repeating: 1) + Lanes(repeating: 0.327_591_1) * z)
    var poly = Lanes(repeating: 1.061_405_429)
    poly = poly * t + Lanes(repeating: -1.453_152_027)
    poly = poly * t + Lanes(repeating: 1.421_413_741)
    poly = poly * t + Lanes(repeating: -0.284_496_736)
    poly = poly * t + Lanes(repeating: 0.254_829_592)
    let halfComplement = Lanes(repeating: 0.5) * poly * t * gaussian
    return halfComplement.replacing(with: Lanes(repeating: 1) - halfComplement, where: x .>= 0)
}
