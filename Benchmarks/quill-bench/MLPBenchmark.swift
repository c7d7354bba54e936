import CAllocationCounter
import Foundation
import QuillTensor

/// A 2-layer MLP classifier trained with AdamW: the core's end-to-end training step.
final class MLP {
    let w1, b1, w2, b2: Tensor
    let optimizer: AdamW

    init(inputs: Int, hidden: Int, classes: Int, seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        let s1 = 1 / Float(inputs).squareRoot(), s2 = 1 / Float(hidden).squareRoot()
        w1 = Tensor.uniform([inputs, hidden], low: -s1, high: s1, using: &generator, requiresGrad: true)
        b1 = Tensor.zeros([hidden], requiresGrad: true)
        w2 = Tensor.uniform([hidden, classes], low: -s2, high: s2, using: &generator, requiresGrad: true)
        b2 = Tensor.zeros([classes], requiresGrad: true)
        optimizer = AdamW(groups: [ParameterGroup([w1, w2], weightDecay: 0.01), ParameterGroup([b1, b2])],
                          learningRate: 1e-3)
    }

    func loss(_ x: Tensor, _ y: IndexTensor) -> Tensor {
        ((x.matmul(w1) + b1).gelu().matmul(w2) + b2).crossEntropy(targets: y)
    }
}

/// Fixed synthetic data: `batches` batches of inputs and labels from a seeded generator.
func syntheticBatches(count: Int, batch: Int, inputs: Int, classes: Int, seed: UInt64) -> [(Tensor, IndexTensor)] {
    var generator = RandomGenerator(seed: seed)
    return (0..<count).map { _ in
        let x = Tensor.normal([batch, inputs], using: &generator)
        let y = IndexTensor((0..<batch).map { _ in Int32(generator.nextInt(below: classes)) }, shape: [batch])
        return (x, y)
    }
}

enum MLPBenchmark {
    /// Forward, backward and optimizer time of one step, tensor buffers taken from the system
    /// per warm step, and heap allocations (every malloc of the process, counted by
    /// CAllocationCounter) per warm step and per recorded op.
    static func step(_ r: Reporter) {
        let model = MLP(inputs: 512, hidden: 1024, classes: 10, seed: 1)
        let data = syntheticBatches(count: 4, batch: 256, inputs: 512, classes: 10, seed: 2)
        var forward: [Double] = [], backward: [Double] = [], update: [Double] = []
        var buffersBefore = 0
        var mallocs = (forward: UInt64(0), backward: UInt64(0), update: UInt64(0))
        var recordedOps = 0
        let warmup = 10, steps = 60
        for i in 0..<steps {
            if i == warmup { buffersBefore = BufferPool.shared.systemAllocations }
            let (x, y) = data[i % data.count]
            let m0 = quill_allocation_count()
            let t0 = DispatchTime.now().uptimeNanoseconds
            let loss = model.loss(x, y)
            let t1 = DispatchTime.now().uptimeNanoseconds
            let m1 = quill_allocation_count()
            recordedOps = Tape.count
            loss.backward()
            let t2 = DispatchTime.now().uptimeNanoseconds
            let m2 = quill_allocation_count()
            model.optimizer.step()
            model.optimizer.zeroGradients()
            let t3 = DispatchTime.now().uptimeNanoseconds
            let m3 = quill_allocation_count()
            if i >= warmup {
                forward.append(Double(t1 - t0) / 1e6)
                backward.append(Double(t2 - t1) / 1e6)
                update.append(Double(t3 - t2) / 1e6)
                mallocs.forward += m1 - m0
                mallocs.backward += m2 - m1
                mallocs.update += m3 - m2
            }
        }
        let measured = Double(steps - warmup)
        let buffers = Double(BufferPool.shared.systemAllocations - buffersBefore) / measured
        let weights: Double = 512 * 1024 + 1024 * 10
        let flops: Double = 6 * 256 * weights
        let total = median(forward) + median(backward) + median(update)
        r.emit("mlp_step_forward", median(forward), "ms", blas: true)
        r.emit("mlp_step_backward", median(backward), "ms", blas: true)
        r.emit("mlp_step_optimizer", median(update), "ms")
        r.emit("mlp_step_total", total, "ms", blas: true, extra: ["gflops": "\(flops / total / 1e6)"])
        r.emit("mlp_step_tensor_buffer_allocations", buffers, "per step")
        let perStep = Double(mallocs.forward + mallocs.backward + mallocs.update) / measured
        r.emit("mlp_step_mallocs", perStep, "per step", extra: [
            "forward": "\(Double(mallocs.forward) / measured)",
            "backward": "\(Double(mallocs.backward) / measured)",
            "optimizer": "\(Double(mallocs.update) / measured)",
            "recorded_ops": "\(recordedOps)",
        ])
        r.emit("mlp_step_mallocs_per_recorded_op", Double(mallocs.forward + mallocs.backward) / measured / Double(max(recordedOps, 1)),
               "per op")
    }

    /// Runs 100 steps twice from the same seed and reports whether every loss matches bit for bit.
    static func determinism(_ r: Reporter) {
        func losses() -> [UInt32] {
            let model = MLP(inputs: 64, hidden: 128, classes: 10, seed: 7)
            let data = syntheticBatches(count: 8, batch: 32, inputs: 64, classes: 10, seed: 8)
            return (0..<100).map { i in
                let (x, y) = data[i % data.count]
                let loss = model.loss(x, y)
                let value = loss.scalar
                loss.backward()
                model.optimizer.step()
                model.optimizer.zeroGradients()
                return value.bitPattern
            }
        }
        let first = losses(), second = losses()
        r.emit("mlp_100_steps_bit_identical", first == second ? 1 : 0, "bool",
               extra: ["final_loss": "\(Float(bitPattern: first.last!))"])
    }

    /// Resident memory after 1,000 and after 10,000 training steps of a small MLP.
    static func residentMemory(_ r: Reporter) {
        let model = MLP(inputs: 64, hidden: 128, classes: 10, seed: 9)
        let data = syntheticBatches(count: 8, batch: 32, inputs: 64, classes: 10, seed: 10)
        var atThousand = 0.0
        for i in 1...10_000 {
            let (x, y) = data[i % data.count]
            model.loss(x, y).backward()
            model.optimizer.step()
            model.optimizer.zeroGradients()
            if i == 1000 { atThousand = residentMegabytes() }
        }
        let atEnd = residentMegabytes()
        r.emit("mlp_rss_after_1000_steps", atThousand, "MB")
        r.emit("mlp_rss_after_10000_steps", atEnd, "MB", extra: ["growth_mb": "\(atEnd - atThousand)"])
    }
}

/// This process's resident set size in megabytes, from /proc/self/statm.
func residentMegabytes() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return .nan }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Double(fields[1]) else { return .nan }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1e6
}
