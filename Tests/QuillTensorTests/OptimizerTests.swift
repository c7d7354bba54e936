import Foundation
import Testing
import QuillTensor
import TestSupport

/// One torch.optim run from Fixtures/optim/optim.json (written by make_fixture.py).
struct OptimizerCase: Decodable, CustomTestStringConvertible, Sendable {
    struct Group: Decodable, Sendable { let weightDecay: Float; let parameters: [Int] }
    let name: String
    let optimizer: String
    let learningRate: Float
    let momentum: Float?
    let dampening: Float?
    let nesterov: Bool?
    let beta1: Double?
    let beta2: Double?
    let epsilon: Double?
    let groups: [Group]
    let schedule: LearningRateScheduleConfiguration?
    let maxGradientNorm: Float?
    let shapes: [[Int]]
    let initial: [[Float]]
    /// [step][parameter], nil where the parameter has no gradient that step.
    let gradients: [[[Float]?]]
    let learningRates: [Double]
    let norms: [Double]?
    /// Parameters after each step, [step][parameter].
    let expected: [[[Float]]]
    let state: [String: [Float]]
    var testDescription: String { name }

    static let all: [OptimizerCase] = {
        struct File: Decodable { let cases: [OptimizerCase] }
        let data = try! Data(contentsOf: fixtureURL("optim/optim.json"))
        return try! JSONDecoder().decode(File.self, from: data).cases
    }()

    func makeParameters() -> [Tensor] {
        zip(initial, shapes).map { Tensor($0, shape: $1, requiresGrad: true) }
    }

    func makeOptimizer(_ parameters: [Tensor]) -> Optimizer {
        let groups = self.groups.map { ParameterGroup($0.parameters.map { parameters[$0] }, weightDecay: $0.weightDecay) }
        switch optimizer {
        case "sgd":
            return SGD(groups: groups, learningRate: learningRate, momentum: momentum ?? 0,
                       dampening: dampening ?? 0, nesterov: nesterov ?? false)
        case "adam":
            return Adam(groups: groups, learningRate: learningRate, beta1: beta1!, beta2: beta2!, epsilon: epsilon!)
        default:
            return AdamW(groups: groups, learningRate: learningRate, beta1: beta1!, beta2: beta2!, epsilon: epsilon!)
        }
    }

    /// Runs steps `range` as the fixture did: gradients, scheduled rate, clipping, step.
    func run(_ optimizer: Optimizer, _ parameters: [Tensor], steps range: Range<Int>) {
        for step in range {
            for (parameter, gradient) in zip(parameters, gradients[step]) {
                parameter.grad = gradient.map { Tensor($0, shape: parameter.shape) }
            }
            if let schedule { optimizer.learningRate = schedule.rate(atStep: step) }
            if let maxGradientNorm {
                let norm = optimizer.clipGradientNorm(maxNorm: maxGradientNorm)
                #expect(isClose(norm, Float(norms![step])), "step \(step): norm \(norm), PyTorch \(norms![step])")
            }
            optimizer.step()
        }
    }
}

/// The URL of `relativePath` inside the test bundle's Fixtures directory.
func fixtureURL(_ relativePath: String) -> URL {
    Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(relativePath)
}

/// Whether `actual` matches PyTorch's `expected` within 1e-5 relative (and 1e-7 absolute, for zeros).
func matchesPyTorch(_ actual: [Float], _ expected: [Float]) -> Bool {
    actual.count == expected.count && zip(actual, expected).allSatisfy { isClose($0, $1, rtol: 1e-5, atol: 1e-7) }
}

@Suite struct OptimizerTests {
    @Test(arguments: OptimizerCase.all)
    func tenStepsMatchTorchOptim(_ c: OptimizerCase) {
        let parameters = c.makeParameters()
        let optimizer = c.makeOptimizer(parameters)
        for step in 0..<c.gradients.count {
            c.run(optimizer, parameters, steps: step..<step + 1)
            #expect(isClose(optimizer.learningRate, Float(c.learningRates[step]), rtol: 1e-6))
            for (index, parameter) in parameters.enumerated() {
                #expect(matchesPyTorch(parameter.toArray(), c.expected[step][index]),
                        "step \(step) parameter \(index): \(parameter.toArray()) vs \(c.expected[step][index])")
            }
        }
        let state = optimizer.stateTensors()
        #expect(Set(state.keys) == Set(c.state.keys))
        for (key, values) in c.state {
            #expect(state[key].map { matchesPyTorch($0.toArray(), values) } == true, "state \(key)")
        }
    }

    @Test(arguments: OptimizerCase.all)
    func resumingFromACheckpointContinuesExactly(_ c: OptimizerCase) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("resume.safetensors")
        let parameters = c.makeParameters()
        let first = c.makeOptimizer(parameters)
        c.run(first, parameters, steps: 0..<5)
        var saved = first.stateTensors()
        for (index, parameter) in parameters.enumerated() { saved["model.\(index)"] = parameter }
        try SafeTensors.write(saved, metadata: ["step": "5"], to: path)

        let loaded = try SafeTensors.read(path).tensors
        let restored = c.shapes.indices.map { loaded["model.\($0)"]!.copy() }
        let second = c.makeOptimizer(restored)
        try second.loadState(loaded, origin: path)
        c.run(second, restored, steps: 5..<c.gradients.count)
        for (index, parameter) in restored.enumerated() {
            #expect(matchesPyTorch(parameter.toArray(), c.expected.last![index]), "parameter \(index)")
        }
    }

    @Test func stateBuffersAreAllocatedOnceAndReused() {
        let c = OptimizerCase.all.first { $0.optimizer == "adamw" }!
        let parameters = c.makeParameters()
        let optimizer = c.makeOptimizer(parameters)
        #expect(optimizer.stateTensors().isEmpty)
        c.run(optimizer, parameters, steps: 0..<1)
        let warm = optimizer.stateTensors().filter { !$0.key.contains("step") }.mapValues(ObjectIdentifier.init)
        c.run(optimizer, parameters, steps: 1..<4)
        let later = optimizer.stateTensors().filter { !$0.key.contains("step") }.mapValues(ObjectIdentifier.init)
        #expect(warm == later && warm.count == 2 * parameters.count)
    }

    struct BadState: CustomTestStringConvertible, Sendable {
        let name: String
        let key: String
        let value: @Sendable () -> Tensor
        var testDescription: String { name }
    }

    static let badStates: [BadState] = [
        BadState(name: "wrong shape", key: "adam.m.0") { Tensor.zeros([5, 4]) },
        BadState(name: "unknown buffer", key: "adam.velocity.0") { Tensor.zeros([4, 5]) },
        BadState(name: "index out of range", key: "adam.m.3") { Tensor.zeros([4, 5]) },
        BadState(name: "index not a number", key: "adam.m.x") { Tensor.zeros([4, 5]) },
        BadState(name: "fractional step", key: "adam.step.1") { Tensor(scalar: 2.5) },
        BadState(name: "negative step", key: "adam.step.1") { Tensor(scalar: -1) },
        BadState(name: "step not a scalar", key: "adam.step.1") { Tensor.zeros([2]) },
    ]

    @Test(arguments: badStates)
    func loadStateRejectsStateThatDoesNotFit(_ bad: BadState) {
        let c = OptimizerCase.all.first { $0.optimizer == "adam" }!
        let parameters = c.makeParameters()
        let optimizer = c.makeOptimizer(parameters)
        c.run(optimizer, parameters, steps: 0..<2)
        let before = optimizer.stateTensors().mapValues { $0.toArray() }
        var state = optimizer.stateTensors().mapValues { $0.copy() }
        state[bad.key] = bad.value()
        let error = #expect(throws: CheckpointError.self) { try optimizer.loadState(state, origin: "run/model.safetensors") }
        #expect(error == .invalidOptimizerState(origin: "run/model.safetensors", key: bad.key, problem: error?.problem ?? ""))
        #expect(error?.errorDescription?.hasPrefix("run/model.safetensors") == true)
        #expect(optimizer.stateTensors().mapValues { $0.toArray() } == before, "a failed load must change nothing")
    }

    @Test func loadStateRejectsIncompleteAdamState() {
        let parameters = [Tensor.zeros([3], requiresGrad: true)]
        let optimizer = Adam(parameters: parameters)
        let state = ["adam.m.0": Tensor.zeros([3]), "adam.step.0": Tensor(scalar: 1)]
        #expect(throws: CheckpointError.self) { try optimizer.loadState(state, origin: "x.safetensors") }
    }

    @Test func loadStateIgnoresOtherOptimizersAndWeights() throws {
        let parameter = Tensor.zeros([3], requiresGrad: true)
        let optimizer = SGD(parameters: [parameter], learningRate: 0.1, momentum: 0.9)
        try optimizer.loadState(["adam.m.0": Tensor.zeros([7]), "model.weight": Tensor.zeros([2]),
                                 "sgd.momentum.0": Tensor([1, 2, 3])], origin: "x.safetensors")
        #expect(optimizer.stateTensors().mapValues { $0.toArray() } == ["sgd.momentum.0": [1, 2, 3]])
    }

    @Test func parametersWithoutGradientsAreSkipped() {
        let a = Tensor([1, 2, 3], requiresGrad: true), b = Tensor([4, 5], requiresGrad: true)
        let optimizer = AdamW(parameters: [a, b], learningRate: 0.1, weightDecay: 0.5)
        a.grad = Tensor([1, 1, 1])
        optimizer.step()
        #expect(b.toArray() == [4, 5])
        #expect(Set(optimizer.stateTensors().keys) == ["adam.m.0", "adam.v.0", "adam.step.0"])
    }

    /// With ε = 0 Adam's first step is `lr · sign(g)` however small `g` is; gradients of 1e-20
    /// make `v` subnormal, where a square root estimated from the float's bits goes wrong.
    @Test(arguments: [Float(1e-20), 1e-3, 1e15, 0])
    func firstAdamStepIsTheSignTimesTheRate(_ magnitude: Float) {
        let parameter = Tensor([1, 1, 1, 1, 1, 1, 1, 1, 1], requiresGrad: true)
        let optimizer = Adam(parameters: [parameter], learningRate: 0.01, epsilon: magnitude == 0 ? 1e-8 : 0)
        let signs: [Float] = [1, -1, 1, 1, -1, -1, 1, -1, 1]
        parameter.grad = Tensor(signs.map { $0 * magnitude })
        optimizer.step()
        let expected = signs.map { 1 - (magnitude == 0 ? 0 : 0.01 * $0) }
        #expect(zip(parameter.toArray(), expected).allSatisfy { isClose($0, $1, rtol: 1e-4, atol: 0) },
                "\(parameter.toArray())")
    }

    @Test func zeroGradientsClearsEveryGroup() {
        let a = Tensor.zeros([2], requiresGrad: true), b = Tensor.zeros([3], requiresGrad: true)
        let optimizer = SGD(groups: [ParameterGroup([a], weightDecay: 0.1), ParameterGroup([b])], learningRate: 1)
        a.grad = Tensor.ones([2]); b.grad = Tensor.ones([3])
        optimizer.zeroGradients()
        #expect(a.grad == nil && b.grad == nil)
        #expect(optimizer.parameters.map(ObjectIdentifier.init) == [a, b].map(ObjectIdentifier.init))
    }

    @Test func splitExemptsVectorsAndChosenTensors() {
        let weight = Tensor.zeros([4, 3]), bias = Tensor.zeros([3]), gain = Tensor.zeros([3])
        let embedding = Tensor.zeros([10, 4])
        let groups = ParameterGroup.split([embedding, weight, bias, gain], weightDecay: 0.1) {
            $0.rank < 2 || $0 === embedding
        }
        #expect(groups.map(\.weightDecay) == [0.1, 0])
        #expect(groups[0].parameters.map(ObjectIdentifier.init) == [ObjectIdentifier(weight)])
        #expect(groups[1].parameters.map(ObjectIdentifier.init) == [embedding, bias, gain].map(ObjectIdentifier.init))
        let nanoGPT = ParameterGroup.split([embedding, weight, bias], weightDecay: 0.1)
        #expect(nanoGPT[0].parameters.count == 2 && nanoGPT[1].parameters.count == 1)
    }
}

extension CheckpointError {
    /// The problem an optimizer-state error describes.
    var problem: String? {
        if case .invalidOptimizerState(_, _, let problem) = self { return problem }
        return nil
    }
}

/// A fresh directory under the system's temporary directory, removed when released.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("quill-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// The names of the files in the directory.
    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }

    deinit { try? FileManager.default.removeItem(at: url) }
}
