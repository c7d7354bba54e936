import CAllocationCounter
import COpenBLAS
import Foundation
import QuillTensor

/// The autodiff core's benchmark cases (issue #2).
enum CoreBenchmarks {
    static let all: [Benchmark] = [
        Benchmark(name: "matmul", run: matmul),
        Benchmark(name: "batched_matmul", run: batchedMatmul),
        Benchmark(name: "softmax", run: softmax),
        Benchmark(name: "layer_norm", run: layerNorm),
        Benchmark(name: "cross_entropy", run: crossEntropy),
        Benchmark(name: "elementwise", run: ElementwiseBenchmark.run),
        Benchmark(name: "tape_overhead", run: tapeOverhead),
        Benchmark(name: "mlp_step", run: MLPBenchmark.step),
        Benchmark(name: "mlp_determinism", run: MLPBenchmark.determinism),
        Benchmark(name: "mlp_rss", run: MLPBenchmark.residentMemory),
    ]

    static func matmul(_ r: Reporter) {
        var generator = RandomGenerator(seed: 1)
        for n in [256, 512, 1024] {
            let a = Tensor.normal([n, n], using: &generator), b = Tensor.normal([n, n], using: &generator)
            let flops = 2.0 * Double(n * n * n)
            let c = Tensor(uninitializedShape: [n, n])
            let raw = medianTime {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                            a.data, Int32(n), b.data, Int32(n), 0, c.data, Int32(n))
            }
            let core = medianTime { _ = a.matmul(b) }
            let transposed = medianTime { _ = a.matmul(b.transposed()) }
            r.emit("sgemm_raw_\(n)", flops / raw / 1e9, "GFLOP/s", blas: true)
            r.emit("matmul_\(n)", flops / core / 1e9, "GFLOP/s", blas: true, extra: ["ratio_to_sgemm": "\(raw / core)"])
            r.emit("matmul_transposed_\(n)", flops / transposed / 1e9, "GFLOP/s", blas: true,
                   extra: ["ratio_to_sgemm": "\(raw / transposed)"])
        }
    }

    static func batchedMatmul(_ r: Reporter) {
        var generator = RandomGenerator(seed: 2)
        // Attention-shaped: 8 heads × batch 8, [T=256, 64] · [64, 256].
        let a = Tensor.normal([64, 256, 64], using: &generator), b = Tensor.normal([64, 64, 256], using: &generator)
        let flops = 2.0 * 64 * 256 * 256 * 64
        let t = medianTime { _ = a.matmul(b) }
        r.emit("batched_matmul_64x256x64x256", flops / t / 1e9, "GFLOP/s", blas: true)
    }

    static func softmax(_ r: Reporter) {
        var generator = RandomGenerator(seed: 3)
        let x = Tensor.normal([64 * 256, 384], using: &generator)
        let bytes = Double(x.count * 4 * 2)
        let forward = rateAgainstMemcpy(floats: x.count, bytes: bytes) { _ = withoutGradients { x.softmax() } }
        r.emit("softmax_forward_16384x384", forward.rate, "GB/s", extra: ["ratio_to_memcpy": "\(forward.ratio)"])
        let logForward = rateAgainstMemcpy(floats: x.count, bytes: bytes) { _ = withoutGradients { x.logSoftmax() } }
        r.emit("log_softmax_forward_16384x384", logForward.rate, "GB/s", extra: ["ratio_to_memcpy": "\(logForward.ratio)"])
        let xg = x.copy(); xg.requiresGrad = true
        let g = Tensor.normal(x.shape, using: &generator)
        let both = medianTime {
            xg.zeroGradient()
            xg.softmax().backward(gradient: g)
        }
        r.emit("softmax_forward_backward_16384x384", bytes * 3 / both / 1e9, "GB/s")
    }

    static func layerNorm(_ r: Reporter) {
        var generator = RandomGenerator(seed: 4)
        let x = Tensor.normal([64 * 256, 384], using: &generator, requiresGrad: true)
        let w = Tensor.ones([384], requiresGrad: true), b = Tensor.zeros([384], requiresGrad: true)
        let bytes = Double(x.count * 4 * 2)
        let forward = rateAgainstMemcpy(floats: x.count, bytes: bytes) { _ = withoutGradients { x.layerNormalized(weight: w, bias: b) } }
        r.emit("layer_norm_forward_16384x384", forward.rate, "GB/s", extra: ["ratio_to_memcpy": "\(forward.ratio)"])
        let g = Tensor.normal(x.shape, using: &generator)
        let both = medianTime {
            x.zeroGradient(); w.zeroGradient(); b.zeroGradient()
            x.layerNormalized(weight: w, bias: b).backward(gradient: g)
        }
        r.emit("layer_norm_forward_backward_16384x384", bytes * 3 / both / 1e9, "GB/s")
    }

    static func crossEntropy(_ r: Reporter) {
        var generator = RandomGenerator(seed: 5)
        let rows = 800, classes = 10_000
        let logits = Tensor.normal([rows, classes], using: &generator, requiresGrad: true)
        let targets = IndexTensor((0..<rows).map { _ in Int32(generator.nextInt(below: classes)) }, shape: [rows])
        let bytes = Double(rows * classes * 4)
        let forward = medianTime { _ = withoutGradients { logits.crossEntropy(targets: targets) } }
        r.emit("cross_entropy_forward_800x10000", bytes / forward / 1e9, "GB/s")
        let both = medianTime {
            logits.zeroGradient()
            logits.crossEntropy(targets: targets).backward()
        }
        r.emit("cross_entropy_forward_backward_800x10000", bytes * 3 / both / 1e9, "GB/s")
    }

    /// Recording cost per op on one-element tensors, whose kernels cost next to nothing.
    static func tapeOverhead(_ r: Reporter) {
        let x = Tensor([0.5], requiresGrad: true)
        let ops = 1000
        func chain() -> Tensor {
            var y = x
            for _ in 0..<ops / 2 { y = (y * 0.999) + x }
            return y
        }
        let inference = medianTime(repeats: 21) { _ = withoutGradients { chain() } }
        let recorded = medianTime(repeats: 21) {
            x.zeroGradient()
            chain().backward()
        }
        r.emit("op_inference_1elem", inference / Double(ops) * 1e6, "us/op")
        r.emit("op_recorded_forward_backward_1elem", recorded / Double(ops) * 1e6, "us/op")
        r.emit("tape_overhead_per_op", (recorded - inference) / Double(ops) * 1e6, "us/op")
        // Heap allocations per op, from the process-wide malloc counter.
        func mallocs(_ body: () -> Void) -> Double {
            body()
            let before = quill_allocation_count()
            body()
            return Double(quill_allocation_count() - before) / Double(ops)
        }
        r.emit("op_inference_1elem_mallocs", mallocs { _ = withoutGradients { chain() } }, "per op")
        r.emit("op_recorded_forward_backward_1elem_mallocs", mallocs { x.zeroGradient(); chain().backward() }, "per op")
    }
}
